using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Etcd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// Registers the running instance in etcd: once the application has started, puts its endpoint document at
/// <c>{Prefix}{InstanceId}</c> under a lease and keeps the lease alive; registers again under a new lease when the lease
/// is lost (it expired during an outage, or was revoked) or the connection broke. On graceful shutdown, before the
/// server stops, deletes the key and keeps serving for the drain delay, so clients move away without failed requests.
/// </summary>
internal sealed partial class EtcdRegistrationService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly EtcdRegistrationOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdConnection _connection;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private ByteString? _key;
    private ByteString? _value;
    private long _lease;
    private int _deregistered;

    public EtcdRegistrationService(EtcdRegistrationOptions options, IServiceProvider services, ILoggerFactory? loggerFactory, TimeProvider? containerTimeProvider)
    {
        var problems = EtcdOptionsValidator.ValidateRegistration(options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(EtcdRegistrationOptions), problems);
        }

        _options = options;
        _services = services;
        _time = containerTimeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Discovery.EtcdRegistration");
        _connection = new EtcdConnection(options.Endpoints);
    }

    /// <summary>The key in use, once started.</summary>
    internal string? Key => _key?.ToStringUtf8();

    /// <summary>Completes when the key is first registered.</summary>
    internal Task Registered => _registered.Task;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Registers once the whole application (its server included) has started, so no client is sent to an instance that does not listen yet.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var address = string.IsNullOrWhiteSpace(_options.Address) ? _options.AddressFactory!(_services) : new Uri(_options.Address);
        var endpoint = new LoadBalancedEndpoint(address, _options.Zone, _options.Weight,
            _options.Metadata.Count == 0 ? null : new Dictionary<string, string>(_options.Metadata), _options.Name)
        {
            HostName = _options.HostName,
        };
        var instanceId = _options.InstanceId ?? endpoint.Address.Authority;
        _key = ByteString.CopyFromUtf8(_options.Prefix + instanceId);
        _value = ByteString.CopyFrom(EtcdEndpointDocument.From(endpoint).ToUtf8Json());
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Deregisters before any hosted service (the server included) stops, then waits the drain delay.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => DeregisterAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => DeregisterAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _connection.Dispose();
    }

    private async Task DeregisterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _deregistered, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is null)
        {
            return;
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var lease = Interlocked.Read(ref _lease);
        if (lease == 0)
        {
            return;
        }

        try
        {
            // Revoking the lease deletes the key with it; the explicit delete comes first so that a client sees the
            // deletion even if the revoke fails.
            await _connection.KV.DeleteRangeAsync(new DeleteRangeRequest { Key = _key }, EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken))
                .ConfigureAwait(false);
            await _connection.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken))
                .ConfigureAwait(false);
            Log.Deregistered(_logger, Key!, _options.DrainDelay);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.DeregistrationFailed(_logger, Key!, _options.LeaseTtl, ex);
        }

        try
        {
            await Task.Delay(_options.DrainDelay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out: stop draining.
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var reason = "started";
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var grant = await _connection.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)_options.LeaseTtl.TotalSeconds },
                    EtcdConnection.Deadline(_options.RequestTimeout, stopping)).ConfigureAwait(false);
                await _connection.KV.PutAsync(new PutRequest { Key = _key, Value = _value, Lease = grant.ID },
                    EtcdConnection.Deadline(_options.RequestTimeout, stopping)).ConfigureAwait(false);
                Interlocked.Exchange(ref _lease, grant.ID);
                failures = 0;
                EtcdDiscoveryMetrics.Registrations.Add(1, new KeyValuePair<string, object?>(EtcdDiscoveryMetrics.ReasonTag, reason));
                Log.Registered(_logger, Key!, grant.ID, grant.TTL, _connection.Current);
                _registered.TrySetResult();

                await KeepAliveAsync(grant.ID, stopping).ConfigureAwait(false);
                Log.LeaseLost(_logger, Key!, grant.ID);
                reason = "lease_lost";
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                reason = "reconnected";
                EtcdDiscoveryMetrics.RegistrationFailures.Add(1);
                var delay = Backoff.Delay(_options.RetryDelay, _options.MaxRetryDelay, failures);
                if (failures == 1)
                {
                    Log.RegistrationFailed(_logger, Key!, _connection.Current, delay, ex);
                }
                else
                {
                    Log.RegistrationStillFailing(_logger, Key!, _connection.Current, failures, ex.Message, delay);
                }

                try
                {
                    await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _connection.Rotate();
            }
        }
    }

    /// <summary>Sends keep-alives every third of the TTL; returns when etcd says the lease is gone, throws when the stream breaks.</summary>
    private async Task KeepAliveAsync(long lease, CancellationToken stopping)
    {
        var interval = _options.LeaseTtl / 3;
        using var call = _connection.Lease.LeaseKeepAlive(cancellationToken: stopping);
        while (true)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, stopping).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false))
            {
                throw new IOException($"The keep-alive stream from {_connection.Current} ended.");
            }

            if (call.ResponseStream.Current.TTL <= 0)
            {
                return;
            }

            await Task.Delay(interval, _time, stopping).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1340, LogLevel.Information, "Registered this instance as '{Key}' under lease {Lease} (TTL {Ttl} s) at {Endpoint}.", EventName = "EtcdRegistered")]
        public static partial void Registered(ILogger logger, string key, long lease, long ttl, Uri endpoint);

        [LoggerMessage(1341, LogLevel.Warning, "Could not register or keep alive '{Key}' at {Endpoint}; trying again in {Delay}.", EventName = "EtcdRegistrationFailed")]
        public static partial void RegistrationFailed(ILogger logger, string key, Uri endpoint, TimeSpan delay, Exception exception);

        [LoggerMessage(1342, LogLevel.Debug, "Still cannot register '{Key}' at {Endpoint} ({Failures} tries: {Error}); next try in {Delay}.", EventName = "EtcdRegistrationStillFailing")]
        public static partial void RegistrationStillFailing(ILogger logger, string key, Uri endpoint, int failures, string error, TimeSpan delay);

        [LoggerMessage(1343, LogLevel.Warning, "The lease {Lease} of '{Key}' expired or was revoked; registering again under a new lease.", EventName = "EtcdLeaseLost")]
        public static partial void LeaseLost(ILogger logger, string key, long lease);

        [LoggerMessage(1344, LogLevel.Information, "Deleted '{Key}' at shutdown; serving {DrainDelay} more while clients drain.", EventName = "EtcdDeregistered")]
        public static partial void Deregistered(ILogger logger, string key, TimeSpan drainDelay);

        [LoggerMessage(1345, LogLevel.Warning, "Could not delete '{Key}' at shutdown; it disappears when its lease expires (TTL {Ttl}).", EventName = "EtcdDeregistrationFailed")]
        public static partial void DeregistrationFailed(ILogger logger, string key, TimeSpan ttl, Exception exception);
    }
}
