using Etcdserverpb;
using Loadstone.Discovery;

namespace Loadstone.Etcd;

/// <summary>
/// A lease this client holds in etcd, kept alive every third of its TTL, with a local deadline: the lease is alive for
/// this client only until the moment etcd could have let it expire (the send time of the last keep-alive etcd answered,
/// plus the TTL it answered, less a margin), so a client that is cut off stops counting on it before anyone else can
/// act on its expiry. When the lease is lost (etcd says it expired, or the deadline passed and etcd then says so) a new
/// one is granted. Every change (granted, lost, deadline passed) fires <see cref="Changed"/>. Shared source file of the
/// etcd packages.
/// </summary>
internal sealed class EtcdLeaseSession : IAsyncDisposable
{
    private readonly EtcdConnection _connection;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _retryDelay;
    private readonly TimeSpan _maxRetryDelay;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    private ITimer? _deadlineTimer;
    private long _lease;
    private long _deadline; // timestamp (TimeProvider) after which the lease may have expired
    private long _generation;

    public EtcdLeaseSession(IEnumerable<string> endpoints, TimeSpan ttl, TimeSpan requestTimeout, TimeSpan retryDelay, TimeSpan maxRetryDelay,
        TimeProvider time)
    {
        _connection = new EtcdConnection(endpoints);
        _ttl = ttl;
        _requestTimeout = requestTimeout;
        _retryDelay = retryDelay;
        _maxRetryDelay = maxRetryDelay;
        _time = time;
    }

    /// <summary>Fired (on a background thread) when a lease is granted or lost, or the deadline passes.</summary>
    public event Action? Changed;

    /// <summary>Fired when an attempt fails, with the error (for logs).</summary>
    public event Action<Exception, TimeSpan>? Failed;

    /// <summary>The lease in use, 0 while none is held.</summary>
    public long LeaseId => Interlocked.Read(ref _lease);

    /// <summary>Counts the leases granted; a new one means the keys of the old one are gone.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The etcd member in use.</summary>
    public Uri Endpoint => _connection.Current;

    /// <summary>Whether the lease is certainly still alive in etcd: held, and its local deadline not passed.</summary>
    public bool IsAlive
    {
        get
        {
            lock (_gate)
            {
                return _lease != 0 && _time.GetTimestamp() < _deadline;
            }
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>Revokes the lease (its keys go with it) and stops keeping it alive.</summary>
    public async Task RevokeAsync(CancellationToken cancellationToken)
    {
        await StopLoopAsync().ConfigureAwait(false);
        var lease = Interlocked.Exchange(ref _lease, 0);
        if (lease != 0)
        {
            await _connection.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, EtcdConnection.Deadline(_requestTimeout, cancellationToken))
                .ConfigureAwait(false);
            Changed?.Invoke();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopAsync().ConfigureAwait(false);
        _connection.Dispose();
        _stopping.Dispose();
    }

    private async Task StopLoopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (_gate)
        {
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (Interlocked.Read(ref _lease) == 0)
                {
                    var sent = _time.GetTimestamp();
                    var grant = await _connection.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)_ttl.TotalSeconds },
                        EtcdConnection.Deadline(_requestTimeout, stopping)).ConfigureAwait(false);
                    Interlocked.Increment(ref _generation);
                    Extend(grant.ID, sent, grant.TTL); // fires Changed: a lease is held again
                }

                failures = 0;
                await KeepAliveAsync(stopping).ConfigureAwait(false);
                Lose(); // etcd says the lease is gone
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The stream broke or etcd is out of reach: the lease may still be alive (keep-alives resume on it) until
                // etcd says otherwise; the local deadline has been left to pass on its own.
                failures++;
                var delay = Backoff.Delay(_retryDelay, _maxRetryDelay, failures);
                Failed?.Invoke(ex, delay);
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

    /// <summary>Keeps the lease alive on one stream; returns when etcd says it is gone, throws when the stream breaks or goes silent.</summary>
    private async Task KeepAliveAsync(CancellationToken stopping)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var call = _connection.Lease.LeaseKeepAlive(cancellationToken: stream.Token);
        var interval = _ttl / 3;
        while (true)
        {
            var lease = Interlocked.Read(ref _lease);
            if (lease == 0)
            {
                return;
            }

            var sent = _time.GetTimestamp();
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, stream.Token).ConfigureAwait(false);

            // An answer must come before the lease could expire; a silent stream (a partition) is a broken one.
            using var answer = CancellationTokenSource.CreateLinkedTokenSource(stream.Token);
            answer.CancelAfter(_ttl);
            bool moved;
            try
            {
                moved = await call.ResponseStream.MoveNext(answer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                throw new TimeoutException($"etcd at {_connection.Current} did not answer a keep-alive of lease {lease:x} within {_ttl}.");
            }

            if (!moved)
            {
                throw new IOException($"The keep-alive stream from {_connection.Current} ended.");
            }

            var ttl = call.ResponseStream.Current.TTL;
            if (ttl <= 0)
            {
                return;
            }

            Extend(lease, sent, ttl);
            await Task.Delay(interval, _time, stopping).ConfigureAwait(false);
        }
    }

    private void Extend(long lease, long sent, long ttlSeconds)
    {
        var ttl = TimeSpan.FromSeconds(ttlSeconds);
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, ttl.Ticks / 10));
        var wasAlive = IsAlive;
        lock (_gate)
        {
            Interlocked.Exchange(ref _lease, lease);
            _deadline = sent + (long)((ttl - margin).TotalSeconds * _time.TimestampFrequency);
            var left = _time.GetElapsedTime(_time.GetTimestamp(), _deadline);
            _deadlineTimer?.Dispose();
            _deadlineTimer = _time.CreateTimer(static s => ((EtcdLeaseSession)s!).Changed?.Invoke(), this,
                left > TimeSpan.Zero ? left + TimeSpan.FromMilliseconds(1) : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        if (!wasAlive)
        {
            Changed?.Invoke(); // alive again (a keep-alive answered after the deadline had passed)
        }
    }

    private void Lose()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _lease, 0);
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
        }

        Changed?.Invoke();
    }
}
