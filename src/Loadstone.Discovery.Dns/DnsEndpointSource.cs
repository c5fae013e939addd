using System.Net;
using DnsClient;
using Loadstone.Discovery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Discovery.Dns;

/// <summary>
/// The endpoints of a service from DNS: SRV records, or A/AAAA records of a host name. Looks up again when the
/// answer's TTL runs out (kept within <see cref="DnsDiscoveryOptions.MinRefreshInterval"/> and
/// <see cref="DnsDiscoveryOptions.MaxRefreshInterval"/>), backs off exponentially after failures, and keeps the last
/// good endpoints through failures. Tells the pool only when the endpoints really changed.
/// </summary>
/// <remarks>
/// Lookups start when a pool first asks for the endpoints, and stop when the source is disposed. Created by
/// <c>AddDnsSrvSource</c>, <c>AddDnsSource</c> or <c>AddDnsDiscovery</c> (which dispose it with the container), or
/// directly where there is no container.
/// </remarks>
public sealed partial class DnsEndpointSource : IEndpointSource, IAsyncDisposable, IDisposable
{
    private readonly DnsDiscoveryOptions _options;
    private readonly DnsLookup _lookup;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<LoadBalancedEndpoint>? _current;
    private IReadOnlyList<string> _lastRejected = [];
    private string? _lastError;
    private Task? _loop;
    private int _started;
    private int _consecutiveFailures;
    private DateTimeOffset? _failingSince;
    private long _lastAnswerTicks;
    private long _lookups;
    private long _scheduled;

    /// <summary>Creates a source; lookups start when <see cref="GetEndpointsAsync"/> or <see cref="GetChangeToken"/> is first called.</summary>
    /// <param name="serviceName">The logical service the endpoints belong to, for logs, metrics and errors.</param>
    /// <param name="options">What to look up; copied, so later changes do not affect the source.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of refreshes, back-off and staleness; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public DnsEndpointSource(string serviceName, DnsDiscoveryOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(serviceName, options, loggerFactory, timeProvider, null)
    {
    }

    internal DnsEndpointSource(string serviceName, DnsDiscoveryOptions options, ILoggerFactory? loggerFactory,
        TimeProvider? containerTimeProvider, IDnsQuery? client)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(options);
        var problems = DnsDiscoveryOptionsValidator.Validate(serviceName, options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(serviceName, typeof(DnsDiscoveryOptions), problems);
        }

        ServiceName = serviceName;
        _options = options.Clone();
        _time = containerTimeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Discovery.Dns");
        _lookup = new DnsLookup(client ?? CreateClient(_options), _options);
        Name = _options.SrvName is { } srv ? $"dns-srv:{srv.Trim()}" : $"dns:{_options.HostName!.Trim()}:{_options.Port}";
    }

    /// <summary>A short description for logs: <c>dns-srv:{SrvName}</c> or <c>dns:{HostName}:{Port}</c>.</summary>
    public string Name { get; }

    /// <summary>The logical service the endpoints belong to.</summary>
    public string ServiceName { get; }

    /// <summary>Whether an empty answer is published (the service scaled to zero); see <see cref="DnsDiscoveryOptions.AllowsEmpty"/>.</summary>
    public bool AllowsEmpty => _options.AllowsEmpty;

    /// <summary>How long ago the last good answer came, or <see langword="null"/> before the first one.</summary>
    public TimeSpan? Staleness
    {
        get
        {
            var last = Interlocked.Read(ref _lastAnswerTicks);
            return last == 0 ? null : _time.GetUtcNow() - new DateTimeOffset(last, TimeSpan.Zero);
        }
    }

    /// <summary>Lookups done so far (tests count them).</summary>
    internal long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>How many times the next lookup has been scheduled on the clock (tests wait for it before moving a manual clock).</summary>
    internal long Scheduled => Interlocked.Read(ref _scheduled);

    /// <summary>The delay before the next lookup, as decided by the last one (tests read it).</summary>
    internal TimeSpan NextDelay { get; private set; }

    /// <summary>
    /// The endpoints of the last good answer. The first call starts the lookups and waits for the first one; if it failed
    /// and no answer has come since, this throws (the pool keeps what it had and waits for the change token).
    /// </summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <exception cref="InvalidOperationException">No lookup has succeeded yet; the message says why.</exception>
    public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        await _firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _current)
            ?? throw new InvalidOperationException($"DNS source '{Name}' of service '{ServiceName}' has no answer yet: {_lastError}");
    }

    /// <summary>A token that fires when a lookup finds a different set of endpoints.</summary>
    public IChangeToken GetChangeToken()
    {
        EnsureStarted();
        return _changed.Token;
    }

    /// <summary>Stops the lookups and waits for the current one to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Stop() is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Stops the lookups; a lookup in progress is cancelled and ends on its own.</summary>
    public void Dispose() => Stop();

    private Task? Stop()
    {
        if (Interlocked.Exchange(ref _started, 2) == 2)
        {
            return null;
        }

        _stopping.Cancel();
        _changed.Dispose();
        _firstAttempt.TrySetResult();
        DnsDiscoveryMetrics.Unregister(this);
        return _loop;
    }

    private void EnsureStarted()
    {
        if (Interlocked.CompareExchange(ref _started, 1, 0) != 0)
        {
            return;
        }

        DnsDiscoveryMetrics.Register(this);
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                NextDelay = await RefreshAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bug or an unexpected library failure must not end the refresh loop: count it as a failed lookup.
                NextDelay = Failed(DnsLookupResult.Failure(ex.Message, "other"), ex);
            }
            finally
            {
                _firstAttempt.TrySetResult();
            }

            try
            {
                var wait = Task.Delay(NextDelay, _time, stopping);
                Interlocked.Increment(ref _scheduled);
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<TimeSpan> RefreshAsync(CancellationToken cancellationToken)
    {
        var result = await _lookup.RunAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _lookups);
        ReportRejected(result.Rejected);
        switch (result.Kind)
        {
            case DnsLookupKind.Records:
                Publish(result.Endpoints);
                return Clamp(result.Ttl ?? TimeSpan.Zero);
            case DnsLookupKind.Empty when _options.AllowsEmpty:
                Publish([]);
                return Clamp(result.Ttl ?? TimeSpan.Zero);
            default:
                return Failed(result, null);
        }
    }

    private void Publish(IReadOnlyList<LoadBalancedEndpoint> endpoints)
    {
        Interlocked.Exchange(ref _lastAnswerTicks, _time.GetUtcNow().UtcTicks);
        if (_consecutiveFailures > 0)
        {
            Log.LookupRecovered(_logger, Name, ServiceName, _consecutiveFailures, _time.GetUtcNow() - _failingSince!.Value);
            _consecutiveFailures = 0;
            _failingSince = null;
        }

        var previous = Volatile.Read(ref _current);
        if (EndpointSets.Same(previous, endpoints))
        {
            return;
        }

        Volatile.Write(ref _current, endpoints);
        DnsDiscoveryMetrics.Updates.Add(1, DnsDiscoveryMetrics.Tags(this));
        if (endpoints.Count == 0)
        {
            Log.ScaledToZero(_logger, Name, ServiceName, previous?.Count ?? 0);
        }
        else
        {
            Log.EndpointsChanged(_logger, Name, ServiceName, endpoints.Count, previous?.Count ?? 0);
        }

        _changed.Fire();
    }

    private TimeSpan Failed(DnsLookupResult result, Exception? exception)
    {
        _lastError = result.Error;
        _consecutiveFailures++;
        _failingSince ??= _time.GetUtcNow();
        var delay = Backoff.Delay(_options.RetryDelay, _options.MaxRetryDelay, _consecutiveFailures);
        DnsDiscoveryMetrics.Failures.Add(1, [.. DnsDiscoveryMetrics.Tags(this), new(DnsDiscoveryMetrics.ErrorTypeTag, result.ErrorType)]);
        var kept = Volatile.Read(ref _current)?.Count ?? 0;
        if (_consecutiveFailures == 1)
        {
            Log.LookupFailed(_logger, Name, ServiceName, result.Error ?? "", kept, delay, exception);
        }
        else
        {
            Log.LookupStillFailing(_logger, Name, ServiceName, _consecutiveFailures, result.Error ?? "", kept, delay);
        }

        return delay;
    }

    private void ReportRejected(IReadOnlyList<string> rejected)
    {
        if (rejected.Count > 0)
        {
            DnsDiscoveryMetrics.Rejections.Add(rejected.Count, DnsDiscoveryMetrics.Tags(this));
        }

        // Logged when the list changes, not at every refresh.
        if (rejected.Count > 0 && !rejected.SequenceEqual(_lastRejected, StringComparer.Ordinal))
        {
            Log.RecordsRejected(_logger, Name, ServiceName, rejected.Count, string.Join("; ", rejected));
        }

        _lastRejected = rejected;
    }

    private TimeSpan Clamp(TimeSpan ttl) =>
        ttl < _options.MinRefreshInterval ? _options.MinRefreshInterval : ttl > _options.MaxRefreshInterval ? _options.MaxRefreshInterval : ttl;

    private static LookupClient CreateClient(DnsDiscoveryOptions options)
    {
        var clientOptions = options.NameServer is { } text && DnsDiscoveryOptionsValidator.TryParseNameServer(text, out var server)
            ? new LookupClientOptions(new NameServer(server))
            : new LookupClientOptions();

        // The source keeps its own TTL-driven schedule and retries with back-off: no cache, no retries of its own.
        clientOptions.UseCache = false;
        clientOptions.Retries = 0;
        clientOptions.Timeout = options.QueryTimeout;
        clientOptions.ThrowDnsErrors = false;
        clientOptions.UseTcpFallback = true;
        clientOptions.ContinueOnDnsError = false;
        clientOptions.ContinueOnEmptyResponse = false;
        return new LookupClient(clientOptions);
    }

    private static partial class Log
    {
        [LoggerMessage(1300, LogLevel.Information, "DNS source '{Source}' of service '{Service}' found {Count} endpoints (before: {Previous}).", EventName = "DnsEndpointsChanged")]
        public static partial void EndpointsChanged(ILogger logger, string source, string service, int count, int previous);

        [LoggerMessage(1301, LogLevel.Warning, "DNS source '{Source}' of service '{Service}' answered with no records and AllowsEmpty is on: the service has no endpoints now (before: {Previous}).", EventName = "DnsScaledToZero")]
        public static partial void ScaledToZero(ILogger logger, string source, string service, int previous);

        [LoggerMessage(1302, LogLevel.Warning, "DNS lookup of source '{Source}' of service '{Service}' failed ({Error}); keeping the last good {Kept} endpoints, next try in {Delay}.", EventName = "DnsLookupFailed")]
        public static partial void LookupFailed(ILogger logger, string source, string service, string error, int kept, TimeSpan delay, Exception? exception);

        [LoggerMessage(1303, LogLevel.Debug, "DNS lookup of source '{Source}' of service '{Service}' failed again ({Failures} in a row: {Error}); keeping the last good {Kept} endpoints, next try in {Delay}.", EventName = "DnsLookupStillFailing")]
        public static partial void LookupStillFailing(ILogger logger, string source, string service, int failures, string error, int kept, TimeSpan delay);

        [LoggerMessage(1304, LogLevel.Information, "DNS source '{Source}' of service '{Service}' answers again after {Failures} failed lookups over {Duration}.", EventName = "DnsLookupRecovered")]
        public static partial void LookupRecovered(ILogger logger, string source, string service, int failures, TimeSpan duration);

        [LoggerMessage(1305, LogLevel.Warning, "DNS source '{Source}' of service '{Service}' skipped {Count} records: {Records}.", EventName = "DnsRecordsRejected")]
        public static partial void RecordsRejected(ILogger logger, string source, string service, int count, string records);
    }
}
