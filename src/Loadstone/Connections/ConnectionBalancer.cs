using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Balances connections rather than requests, like a Network Load Balancer: each
/// <see cref="ConnectAsync(CancellationToken)"/> picks an endpoint of the pool, opens a TCP connection to it (with TLS
/// if configured) and returns it as a <see cref="LoadBalancedConnection"/>. For clients that are not HttpClient requests
/// (Redis, PostgreSQL, brokers, custom protocols) and, through <see cref="ConnectCallbackAsync"/>,
/// for HttpClients whose requests cannot be rewritten.
/// </summary>
/// <remarks>
/// <para>
/// An open connection holds a lease on its endpoint, so the pool's in-flight count is the number of open connections:
/// <see cref="LoadBalancingStrategies.LeastRequests"/> is least connections, and the other strategies, health, slow
/// start and zones work per connection as they do per request.
/// </para>
/// <para>
/// A failed connect attempt is a connection failure (or timeout) of that endpoint for passive health, and the next
/// attempt goes to an endpoint not tried yet, within <see cref="ConnectionBalancerOptions.MaxConnectAttempts"/> and
/// <see cref="ConnectionBalancerOptions.ConnectDeadline"/>. The balancer does not own the pool; several balancers and
/// request handlers may share one.
/// </para>
/// </remarks>
public sealed partial class ConnectionBalancer : IDisposable
{
    /// <summary>How often connections to deregistered endpoints are looked for, on the pool's clock.</summary>
    internal static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly ConnectionBalancerOptions _options;
    private readonly ILogger _logger;
    private readonly ConnectionTls? _tls;
    private readonly ConnectionMetrics _metrics;
    private readonly ConcurrentDictionary<LoadBalancedConnection, byte>? _tracked;
    private readonly ITimer? _sweep;
    private int _open;

    /// <summary>Creates a balancer over a pool.</summary>
    /// <param name="pool">The service's pool; the balancer does not dispose it.</param>
    /// <param name="options">The options; validated here, then read only. <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where logs go (category <c>Loadstone.Connections</c>); <see langword="null"/> (the default) for the pool's.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public ConnectionBalancer(ServicePool pool, ConnectionBalancerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= new ConnectionBalancerOptions();
        var problems = options.Problems(pool.ServiceName);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(pool.ServiceName, typeof(ConnectionBalancerOptions), problems);
        }

        Pool = pool;
        _options = options;
        _logger = (loggerFactory ?? pool.LoggerFactory).CreateLogger("Loadstone.Connections");
        _tls = options.Tls is { } tls ? new ConnectionTls(pool.ServiceName, tls) : null;
        _metrics = ConnectionMetrics.For(pool);
        if (options.CloseConnectionsOnDeregistration)
        {
            _tracked = new ConcurrentDictionary<LoadBalancedConnection, byte>();
            _sweep = pool.TimeProvider.CreateTimer(static s => ((ConnectionBalancer)s!).Sweep(), this, SweepPeriod, SweepPeriod);
        }
    }

    /// <summary>The pool the connections are balanced over.</summary>
    public ServicePool Pool { get; }

    /// <summary>The logical service name.</summary>
    public string ServiceName => Pool.ServiceName;

    /// <summary>Connections opened by this balancer and not yet closed.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>
    /// Opens a connection to one endpoint of the service. A failed attempt is charged to its endpoint and the next one
    /// tries an endpoint not tried yet, within the connect budget and deadline.
    /// </summary>
    /// <param name="cancellationToken">Cancels the connect; a cancelled attempt is not held against its endpoint.</param>
    /// <returns>The open connection; dispose it to close it.</returns>
    /// <exception cref="ServiceConnectionException">No connection could be made; the message lists every attempt.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<LoadBalancedConnection> ConnectAsync(CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(_tls, cancellationToken);

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: connections to <c>{ServiceName}</c> (any port) are balanced
    /// over the service's endpoints, and the handler runs HTTP over them; connections to any other host are made
    /// directly. Request URIs stay as they are (<c>http://catalog/items</c>). The connections are plain TCP whatever
    /// <see cref="ConnectionBalancerOptions.Tls"/> says: for <c>https://catalog</c> the handler itself runs TLS over them
    /// and checks each instance's certificate against the URI's host, the logical name.
    /// </summary>
    /// <param name="context">The handler's connection context.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The connection's stream.</returns>
    /// <exception cref="ServiceConnectionException">No connection could be made (the handler wraps it in an <see cref="HttpRequestException"/>).</exception>
    public async ValueTask<Stream> ConnectCallbackAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = context.DnsEndPoint;
        if (string.Equals(target.Host, ServiceName, StringComparison.OrdinalIgnoreCase))
        {
            return await ConnectCoreAsync(null, cancellationToken).ConfigureAwait(false);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops closing connections on deregistration. Open connections stay open, owned by their callers.</summary>
    public void Dispose() => _sweep?.Dispose();

    private async ValueTask<LoadBalancedConnection> ConnectCoreAsync(ConnectionTls? tls, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var time = Pool.TimeProvider;
        var started = time.GetTimestamp();

        // One token for each attempt, cancelled by the caller or by one timer on the pool's clock, set per attempt to
        // the earlier of the attempt's timeout and the connect deadline. Replaced only after it has fired.
        var limit = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        var caller = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), limit);
        var tried = default(TriedEndpoints);
        List<ConnectAttemptFailure>? failures = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                EndpointLease lease;
                try
                {
                    var pick = new PickContext(null);
                    lease = Pool.AcquireAttempt(null, ref pick, in tried);
                }
                catch (NoAvailableEndpointException ex)
                {
                    throw Fail(ConnectFailureReason.NoAvailableEndpoint, failures, ex);
                }

                tried.Add(lease.State);
                var endpoint = lease.Endpoint;
                var remaining = _options.ConnectDeadline - time.GetElapsedTime(started);
                var deadlineFirst = remaining <= _options.ConnectTimeout;
                limit.CancelAfter(deadlineFirst ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero) : _options.ConnectTimeout);
                Socket? socket = null;
                Stream? stream = null;
                var tlsCheck = tls?.NewCheck(endpoint);
                try
                {
                    socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(EndPointOf(endpoint), limit.Token).ConfigureAwait(false);
                    stream = new NetworkStream(socket, ownsSocket: true);
                    SslStream? ssl = null;
                    if (tlsCheck is not null)
                    {
                        ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                        stream = ssl;
                        await ssl.AuthenticateAsClientAsync(tlsCheck.Options, limit.Token).ConfigureAwait(false);
                    }

                    var connection = new LoadBalancedConnection(this, lease.State, socket, stream, ssl, attempt);
                    lease.Complete(RequestOutcome.Success);
                    OnOpened(connection);
                    return connection;
                }
                catch (Exception ex) when (Classify(ex, cancellationToken, limit.IsCancellationRequested, deadlineFirst) is { } error)
                {
                    await DisposeQuietlyAsync(stream, socket).ConfigureAwait(false);
                    lease.Complete(error switch
                    {
                        ConnectError.Timeout => RequestOutcome.Timeout,
                        ConnectError.DeadlineExceeded => RequestOutcome.Canceled,
                        _ => RequestOutcome.ConnectionFailure,
                    });
                    var failure = new ConnectAttemptFailure(endpoint, error, Describe(error, ex, tlsCheck), ex);
                    (failures ??= []).Add(failure);
                    _metrics.RecordFailed(ServiceName, endpoint, error);
                    if (error == ConnectError.DeadlineExceeded)
                    {
                        throw Fail(ConnectFailureReason.DeadlineExceeded, failures, ex);
                    }

                    if (attempt >= _options.MaxConnectAttempts)
                    {
                        throw Fail(ConnectFailureReason.AllAttemptsFailed, failures, ex);
                    }

                    Log.AttemptFailed(_logger, ServiceName, endpoint.BaseAddress, attempt, _options.MaxConnectAttempts, failure.Detail);
                    if (limit.IsCancellationRequested)
                    {
                        // The attempt timed out: its token is spent. The caller's registration moves to a fresh one.
                        caller.Dispose();
                        limit.Dispose();
                        limit = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
                        caller = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), limit);
                    }
                }
                catch (Exception ex)
                {
                    // Cancelled by the caller, or something that is no fault of the endpoint: release the lease and let it go.
                    await DisposeQuietlyAsync(stream, socket).ConfigureAwait(false);
                    lease.Complete(RequestOutcome.Canceled);
                    if (cancellationToken.IsCancellationRequested && (ex as OperationCanceledException)?.CancellationToken != cancellationToken)
                    {
                        throw new OperationCanceledException("The connect was cancelled.", ex, cancellationToken);
                    }

                    throw;
                }
            }
        }
        finally
        {
            caller.Dispose();
            limit.Dispose();
        }
    }

    internal void OnClosed(LoadBalancedConnection connection, TimeSpan lifetime, bool failed)
    {
        Interlocked.Decrement(ref _open);
        _tracked?.TryRemove(connection, out _);
        _metrics.RecordClosed(ServiceName, connection.Endpoint, lifetime.TotalSeconds);
        if (failed)
        {
            Log.ConnectionFailed(_logger, ServiceName, connection.Endpoint.BaseAddress, lifetime);
        }
    }

    private void OnOpened(LoadBalancedConnection connection)
    {
        Interlocked.Increment(ref _open);
        _metrics.RecordOpened(ServiceName, connection.Endpoint);
        _tracked?.TryAdd(connection, 0);
    }

    // An endpoint that left the pool is Unused once its deregistration delay has ended (the pool drops a draining
    // endpoint with leases still open at its deadline), or at once when the delay is 0.
    private void Sweep()
    {
        foreach (var connection in _tracked!.Keys)
        {
            if (connection.State.Health == EndpointHealth.Unused && !connection.IsClosed)
            {
                Log.ClosedOnDeregistration(_logger, ServiceName, connection.Endpoint.BaseAddress);
                connection.CloseOnDeregistration();
            }
        }
    }

    private ServiceConnectionException Fail(ConnectFailureReason reason, List<ConnectAttemptFailure>? failures, Exception inner)
    {
        var exception = new ServiceConnectionException(ServiceName, reason, (IReadOnlyList<ConnectAttemptFailure>?)failures ?? [], inner);
        Log.ConnectFailed(_logger, ServiceName, failures?.Count ?? 0, exception.Message);
        return exception;
    }

    private static EndPoint EndPointOf(LoadBalancedEndpoint endpoint)
    {
        var address = endpoint.Address;
        return IPAddress.TryParse(address.IdnHost, out var ip)
            ? new IPEndPoint(ip, address.Port)
            : new DnsEndPoint(address.IdnHost, address.Port);
    }

    /// <summary>How an attempt failed, or null when the failure is not the endpoint's (the caller cancelled, a bug).</summary>
    private static ConnectError? Classify(Exception ex, CancellationToken caller, bool limitReached, bool limitWasTheDeadline)
    {
        if (caller.IsCancellationRequested)
        {
            return null;
        }

        if (limitReached && ex is OperationCanceledException or IOException or AuthenticationException)
        {
            return limitWasTheDeadline ? ConnectError.DeadlineExceeded : ConnectError.Timeout;
        }

        return ex switch
        {
            OperationCanceledException => null,
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => ConnectError.Refused,
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => ConnectError.HostNotFound,
            SocketException { SocketErrorCode: SocketError.TimedOut } => ConnectError.Timeout,
            SocketException => ConnectError.Network,
            AuthenticationException => ConnectError.Tls,
            IOException => ConnectError.Network,
            _ => null,
        };
    }

    private static string Describe(ConnectError error, Exception ex, ConnectionTls.Check? tls) => error switch
    {
        ConnectError.Refused => "connection refused.",
        ConnectError.Timeout => "no connection within the connect timeout.",
        ConnectError.DeadlineExceeded => "the connect deadline ran out during this attempt.",
        ConnectError.HostNotFound => $"host not found ({ex.Message}).",
        ConnectError.Tls when tls is not null => tls.Describe(ex),
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static async ValueTask DisposeQuietlyAsync(Stream? stream, Socket? socket)
    {
        try
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket?.Dispose();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // Closing a connection that never opened properly has nothing left to report.
        }
    }

    // Per connect attempt and per connection: Debug, like everything on the request path. A connect that fails
    // altogether (the whole service out of reach within the budget) is a Warning; ejections are logged by the pool.
    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Debug, "Service '{Service}': connect attempt {Attempt} of {MaxAttempts} to {Endpoint} failed: {Detail} Trying another endpoint.", EventName = "ConnectAttemptFailed")]
        public static partial void AttemptFailed(ILogger logger, string service, string endpoint, int attempt, int maxAttempts, string detail);

        [LoggerMessage(301, LogLevel.Warning, "Service '{Service}': no connection after {Attempts} attempts. {Message}", EventName = "ConnectFailed")]
        public static partial void ConnectFailed(ILogger logger, string service, int attempts, string message);

        [LoggerMessage(302, LogLevel.Information, "Service '{Service}' closed a connection to {Endpoint}: the endpoint left the pool and its deregistration delay ended.", EventName = "ConnectionClosedOnDeregistration")]
        public static partial void ClosedOnDeregistration(ILogger logger, string service, string endpoint);

        [LoggerMessage(303, LogLevel.Debug, "Service '{Service}': a connection to {Endpoint} failed after {Lifetime} open; the endpoint is charged a connection failure.", EventName = "ConnectionFailed")]
        public static partial void ConnectionFailed(ILogger logger, string service, string endpoint, TimeSpan lifetime);
    }
}
