using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Loadstone.Etcd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// The endpoints of a service from an etcd key prefix (v3 API): a range read at a revision, then a watch from the next
/// revision, each change passed on as it happens. After a compaction or a lost connection the source reads the prefix
/// again and watches on, keeping the last good set meanwhile. A value that is not a valid endpoint document is
/// rejected and logged for its key; the other keys still apply.
/// </summary>
/// <remarks>
/// The watch starts when a pool first asks for the endpoints and stops when the source is disposed. Created by
/// <c>AddEtcdSource</c> or <c>AddEtcdDiscovery</c> (which dispose it with the container), or directly.
/// </remarks>
public sealed partial class EtcdEndpointSource : IEndpointSource, IAsyncDisposable, IDisposable
{
    private const int PageSize = 2_000;

    private readonly EtcdDiscoveryOptions _options;
    private readonly EtcdConnection _connection;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ByteString _prefix;
    private readonly ByteString _prefixEnd;
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly EtcdKeySet _keys;
    private IReadOnlyList<LoadBalancedEndpoint>? _current;
    private string? _lastError;
    private Task? _loop;
    private int _started;
    private long _revision;
    private long _staleSinceTicks = -1; // -1: no data yet; 0: in sync; otherwise when the watch was lost.
    private long _resyncs;

    /// <summary>Creates a source; the watch starts when <see cref="GetEndpointsAsync"/> or <see cref="GetChangeToken"/> is first called.</summary>
    /// <param name="serviceName">The logical service the endpoints belong to, for logs, metrics and errors.</param>
    /// <param name="options">Where to read; copied, so later changes do not affect the source.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of refreshes, back-off and staleness; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public EtcdEndpointSource(string serviceName, EtcdDiscoveryOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(options);
        var problems = EtcdOptionsValidator.ValidateSource(serviceName, options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(serviceName, typeof(EtcdDiscoveryOptions), problems);
        }

        ServiceName = serviceName;
        _options = options.Clone();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Discovery.Etcd");
        var prefix = Encoding.UTF8.GetBytes(_options.Prefix!);
        _prefix = ByteString.CopyFrom(prefix);
        _prefixEnd = ByteString.CopyFrom(EtcdConnection.PrefixEnd(prefix));
        _connection = new EtcdConnection(_options.Endpoints);
        _keys = new EtcdKeySet(this);
        Name = $"etcd:{_options.Prefix}";
    }

    /// <summary>A short description for logs: <c>etcd:{Prefix}</c>.</summary>
    public string Name { get; }

    /// <summary>The logical service the endpoints belong to.</summary>
    public string ServiceName { get; }

    /// <summary>Whether an empty prefix is published as "no instances"; see <see cref="EtcdDiscoveryOptions.AllowsEmpty"/>.</summary>
    public bool AllowsEmpty => _options.AllowsEmpty;

    /// <summary>
    /// How long the endpoints may have been out of date: zero while the watch is live, the time since the watch was lost
    /// while reconnecting, <see langword="null"/> before the first read.
    /// </summary>
    public TimeSpan? Staleness
    {
        get
        {
            var since = Interlocked.Read(ref _staleSinceTicks);
            return since < 0 ? null : since == 0 ? TimeSpan.Zero : _time.GetUtcNow() - new DateTimeOffset(since, TimeSpan.Zero);
        }
    }

    /// <summary>The etcd revision the endpoints reflect.</summary>
    internal long Revision => Interlocked.Read(ref _revision);

    /// <summary>Full reads of the prefix after the first one (compactions, reconnects).</summary>
    internal long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Runs after each range read, before the watch is created (tests use it to compact in between).</summary>
    internal Func<Task>? AfterRangeRead { get; set; }

    internal ILogger Logger => _logger;

    /// <summary>
    /// The endpoints of the last good read. The first call starts the watch and waits for the first read; if it failed
    /// and none has succeeded since, this throws (the pool keeps what it had and waits for the change token).
    /// </summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <exception cref="InvalidOperationException">No read has succeeded yet; the message says why.</exception>
    public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        await _firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _current)
            ?? throw new InvalidOperationException($"etcd source '{Name}' of service '{ServiceName}' has not read its prefix yet: {_lastError}");
    }

    /// <summary>A token that fires when the endpoints change.</summary>
    public IChangeToken GetChangeToken()
    {
        EnsureStarted();
        return _changed.Token;
    }

    /// <summary>Stops the watch and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Stop() is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _connection.Dispose();
    }

    /// <summary>Stops the watch; the loop ends on its own and the connection is closed after it.</summary>
    public void Dispose()
    {
        if (Stop() is { IsCompleted: false } loop)
        {
            _ = loop.ContinueWith(static (_, connection) => ((EtcdConnection)connection!).Dispose(), _connection,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            _connection.Dispose();
        }
    }

    private Task? Stop()
    {
        if (Interlocked.Exchange(ref _started, 2) == 2)
        {
            return null;
        }

        _stopping.Cancel();
        _changed.Dispose();
        _firstAttempt.TrySetResult();
        EtcdDiscoveryMetrics.Unregister(this);
        return _loop;
    }

    private void EnsureStarted()
    {
        if (Interlocked.CompareExchange(ref _started, 1, 0) == 0)
        {
            EtcdDiscoveryMetrics.Register(this);
            _loop = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        var failures = 0;
        DateTimeOffset? failingSince = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var revision = await ReadPrefixAsync(stopping).ConfigureAwait(false);
                if (failures > 0)
                {
                    Log.Reconnected(_logger, Name, ServiceName, _connection.Current, _time.GetUtcNow() - failingSince!.Value);
                    failures = 0;
                    failingSince = null;
                }

                if (AfterRangeRead is { } hook)
                {
                    await hook().ConfigureAwait(false);
                }

                var compactedAt = await WatchAsync(revision + 1, stopping).ConfigureAwait(false);
                Log.WatchCompacted(_logger, Name, ServiceName, revision + 1, compactedAt);
                CountResync("compacted");
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever broke (etcd gone, the stream cut, a watch cancelled), the way back is the same: wait, then read
                // the prefix again from a fresh revision.
                _firstAttempt.TrySetResult();
                _lastError = ex.Message;
                failures++;
                failingSince ??= _time.GetUtcNow();
                Interlocked.CompareExchange(ref _staleSinceTicks, _time.GetUtcNow().UtcTicks, 0);
                var delay = Backoff.Delay(_options.RetryDelay, _options.MaxRetryDelay, failures);
                var kept = Volatile.Read(ref _current)?.Count ?? 0;
                if (failures == 1)
                {
                    Log.ConnectionLost(_logger, Name, ServiceName, _connection.Current, kept, delay, ex);
                }
                else
                {
                    Log.StillDisconnected(_logger, Name, ServiceName, _connection.Current, failures, ex.Message, kept, delay);
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
                if (Volatile.Read(ref _current) is not null)
                {
                    CountResync("disconnected");
                }
            }
        }
    }

    /// <summary>Reads every key of the prefix at one revision (in pages), publishes the set, and returns the revision.</summary>
    private async Task<long> ReadPrefixAsync(CancellationToken cancellationToken)
    {
        var kvs = new List<Mvccpb.KeyValue>();
        long revision = 0;
        var from = _prefix;
        while (true)
        {
            var request = new RangeRequest { Key = from, RangeEnd = _prefixEnd, Limit = PageSize, Revision = revision };
            var response = await _connection.KV.RangeAsync(request, EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken))
                .ConfigureAwait(false);
            revision = response.Header.Revision;
            kvs.AddRange(response.Kvs);
            if (!response.More || response.Kvs.Count == 0)
            {
                break;
            }

            // The next page starts just after the last key (key + "\0"), at the same revision.
            from = ByteString.CopyFrom([.. response.Kvs[^1].Key.Span, 0]);
        }

        var (count, rejected) = _keys.Load(kvs);
        Interlocked.Exchange(ref _revision, revision);
        Publish(_keys.Snapshot());
        Interlocked.Exchange(ref _staleSinceTicks, 0);
        Log.PrefixRead(_logger, Name, ServiceName, count, revision, rejected);
        _firstAttempt.TrySetResult(); // after the log: whoever waits for the first answer sees it logged
        return revision;
    }

    /// <summary>Watches from <paramref name="startRevision"/>; returns the compact revision when etcd cancels the watch for compaction.</summary>
    private async Task<long> WatchAsync(long startRevision, CancellationToken cancellationToken)
    {
        using var call = _connection.Watch.Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = _prefix, RangeEnd = _prefixEnd, StartRevision = startRevision },
        }, cancellationToken).ConfigureAwait(false);

        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.CompactRevision > 0)
            {
                return response.CompactRevision;
            }

            if (response.Canceled)
            {
                throw new InvalidOperationException($"etcd cancelled the watch: {response.CancelReason}");
            }

            if (response.Events.Count > 0)
            {
                var changed = _keys.Apply(response.Events);
                Interlocked.Exchange(ref _revision, response.Header.Revision);
                if (changed)
                {
                    Publish(_keys.Snapshot(), compare: false);
                }
            }
        }

        throw new IOException($"The watch stream from {_connection.Current} ended.");
    }

    /// <summary>Hands a new set to the pools, unless it equals the current one (checked when <paramref name="compare"/>: after full reads).</summary>
    private void Publish(IReadOnlyList<LoadBalancedEndpoint> endpoints, bool compare = true)
    {
        var previous = Volatile.Read(ref _current);
        if (compare && EndpointSets.Same(previous, endpoints))
        {
            return;
        }

        Volatile.Write(ref _current, endpoints);
        EtcdDiscoveryMetrics.Updates.Add(1, EtcdDiscoveryMetrics.Tags(this));
        Log.EndpointsChanged(_logger, Name, ServiceName, endpoints.Count, previous?.Count ?? 0, Revision);
        _changed.Fire();
    }

    private void CountResync(string reason)
    {
        Interlocked.Increment(ref _resyncs);
        EtcdDiscoveryMetrics.Resyncs.Add(1, [.. EtcdDiscoveryMetrics.Tags(this), new(EtcdDiscoveryMetrics.ReasonTag, reason)]);
    }

    internal static partial class Log
    {
        [LoggerMessage(1320, LogLevel.Information, "etcd source '{Source}' of service '{Service}' read {Count} endpoints at revision {Revision} ({Rejected} values rejected).", EventName = "EtcdPrefixRead")]
        public static partial void PrefixRead(ILogger logger, string source, string service, int count, long revision, int rejected);

        [LoggerMessage(1321, LogLevel.Debug, "etcd source '{Source}' of service '{Service}' has {Count} endpoints (before: {Previous}) at revision {Revision}.", EventName = "EtcdEndpointsChanged")]
        public static partial void EndpointsChanged(ILogger logger, string source, string service, int count, int previous, long revision);

        [LoggerMessage(1322, LogLevel.Warning, "etcd source '{Source}' of service '{Service}' rejected the value of key '{Key}': {Problem}; {Outcome}.", EventName = "EtcdValueRejected")]
        public static partial void ValueRejected(ILogger logger, string source, string service, string key, string problem, string outcome);

        [LoggerMessage(1323, LogLevel.Warning, "etcd source '{Source}' of service '{Service}' could not watch from revision {Revision}: compacted up to {CompactRevision}; reading the prefix again, keeping the last good endpoints meanwhile.", EventName = "EtcdWatchCompacted")]
        public static partial void WatchCompacted(ILogger logger, string source, string service, long revision, long compactRevision);

        [LoggerMessage(1324, LogLevel.Warning, "etcd source '{Source}' of service '{Service}' lost its connection to {Endpoint}; keeping the last good {Kept} endpoints, reconnecting in {Delay}.", EventName = "EtcdConnectionLost")]
        public static partial void ConnectionLost(ILogger logger, string source, string service, Uri endpoint, int kept, TimeSpan delay, Exception exception);

        [LoggerMessage(1325, LogLevel.Debug, "etcd source '{Source}' of service '{Service}' still cannot reach {Endpoint} ({Failures} tries: {Error}); keeping the last good {Kept} endpoints, next try in {Delay}.", EventName = "EtcdStillDisconnected")]
        public static partial void StillDisconnected(ILogger logger, string source, string service, Uri endpoint, int failures, string error, int kept, TimeSpan delay);

        [LoggerMessage(1326, LogLevel.Information, "etcd source '{Source}' of service '{Service}' reconnected to {Endpoint} after {Duration} and read the prefix again.", EventName = "EtcdReconnected")]
        public static partial void Reconnected(ILogger logger, string source, string service, Uri endpoint, TimeSpan duration);
    }
}
