using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Discovery;

namespace Loadstone.Etcd;

/// <summary>One key of a mirrored prefix: its value and revisions, and the lease it is attached to (0 for none).</summary>
internal sealed record EtcdEntry(string Key, byte[] Value, long CreateRevision, long ModRevision, long Lease);

/// <summary>
/// A local copy of every key under a prefix: a range read at one revision, then a watch from the next revision, each
/// response applied as it comes; after a compaction or a lost connection it reads the prefix again (keeping the copy
/// meanwhile). <see cref="Updated"/> is raised after each change with the keys that changed, on the mirror's loop.
/// Shared source file of the etcd packages.
/// </summary>
internal sealed class EtcdPrefixMirror : IAsyncDisposable
{
    private const int PageSize = 2_000;

    private readonly EtcdConnection _connection;
    private readonly ByteString _prefix;
    private readonly ByteString _prefixEnd;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _retryDelay;
    private readonly TimeSpan _maxRetryDelay;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, EtcdEntry> _entries = new(StringComparer.Ordinal);
    private Task? _loop;
    private long _revision;
    private bool _synced;

    public EtcdPrefixMirror(IEnumerable<string> endpoints, string prefix, TimeSpan requestTimeout, TimeSpan retryDelay, TimeSpan maxRetryDelay, TimeProvider time)
    {
        _connection = new EtcdConnection(endpoints);
        var bytes = Encoding.UTF8.GetBytes(prefix);
        _prefix = ByteString.CopyFrom(bytes);
        _prefixEnd = ByteString.CopyFrom(EtcdConnection.PrefixEnd(bytes));
        Prefix = prefix;
        _requestTimeout = requestTimeout;
        _retryDelay = retryDelay;
        _maxRetryDelay = maxRetryDelay;
        _time = time;
    }

    public string Prefix { get; }

    /// <summary>Raised after the copy changed: the keys that changed (written or deleted); every key after a full read.</summary>
    public event Action<IReadOnlyCollection<string>>? Updated;

    /// <summary>Raised when the watch or a read fails, with the error and the wait before the next try.</summary>
    public event Action<Exception, TimeSpan>? Failed;

    /// <summary>The revision the copy reflects (0 before the first read).</summary>
    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>Whether the watch is live (false before the first read and while reconnecting).</summary>
    public bool IsSynced
    {
        get
        {
            lock (_gate)
            {
                return _synced;
            }
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    /// <summary>The entries now, by key.</summary>
    public Dictionary<string, EtcdEntry> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, EtcdEntry>(_entries, StringComparer.Ordinal);
        }
    }

    /// <summary>The entry with the lowest create revision among the keys that start with <paramref name="keyPrefix"/> (an election's leader).</summary>
    public EtcdEntry? Oldest(string keyPrefix)
    {
        lock (_gate)
        {
            EtcdEntry? oldest = null;
            foreach (var entry in _entries.Values)
            {
                if (entry.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && (oldest is null || entry.CreateRevision < oldest.CreateRevision))
                {
                    oldest = entry;
                }
            }

            return oldest;
        }
    }

    public EtcdEntry? Get(string key)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _connection.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var revision = await ReadAsync(stopping).ConfigureAwait(false);
                failures = 0;
                await WatchAsync(revision + 1, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _synced = false;
                }

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

    private async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        var kvs = new List<Mvccpb.KeyValue>();
        long revision = 0;
        var from = _prefix;
        while (true)
        {
            var request = new RangeRequest { Key = from, RangeEnd = _prefixEnd, Limit = PageSize, Revision = revision };
            var response = await _connection.KV.RangeAsync(request, EtcdConnection.Deadline(_requestTimeout, cancellationToken)).ConfigureAwait(false);
            revision = response.Header.Revision;
            kvs.AddRange(response.Kvs);
            if (!response.More || response.Kvs.Count == 0)
            {
                break;
            }

            from = ByteString.CopyFrom([.. response.Kvs[^1].Key.Span, 0]);
        }

        List<string> changed;
        lock (_gate)
        {
            changed = [.. _entries.Keys];
            _entries.Clear();
            foreach (var kv in kvs)
            {
                var entry = ToEntry(kv);
                _entries[entry.Key] = entry;
                changed.Add(entry.Key);
            }

            Interlocked.Exchange(ref _revision, revision);
            _synced = true;
        }

        Updated?.Invoke(changed.Distinct(StringComparer.Ordinal).ToList());
        return revision;
    }

    private async Task WatchAsync(long startRevision, CancellationToken cancellationToken)
    {
        using var call = _connection.Watch.Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = _prefix, RangeEnd = _prefixEnd, StartRevision = startRevision, ProgressNotify = true },
        }, cancellationToken).ConfigureAwait(false);

        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.CompactRevision > 0)
            {
                throw new InvalidOperationException($"The watch of '{Prefix}' from revision {startRevision} was compacted at {response.CompactRevision}.");
            }

            if (response.Canceled)
            {
                throw new InvalidOperationException($"etcd cancelled the watch of '{Prefix}': {response.CancelReason}");
            }

            var changed = new List<string>(response.Events.Count);
            lock (_gate)
            {
                foreach (var e in response.Events)
                {
                    var key = e.Kv.Key.ToStringUtf8();
                    changed.Add(key);
                    if (e.Type == Mvccpb.Event.Types.EventType.Delete)
                    {
                        _entries.Remove(key);
                    }
                    else
                    {
                        _entries[key] = ToEntry(e.Kv);
                    }
                }

                if (response.Header is { } header && header.Revision > Interlocked.Read(ref _revision))
                {
                    Interlocked.Exchange(ref _revision, header.Revision);
                }
            }

            if (changed.Count > 0)
            {
                Updated?.Invoke(changed);
            }
        }

        throw new IOException($"The watch stream of '{Prefix}' from {_connection.Current} ended.");
    }

    private static EtcdEntry ToEntry(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.ToByteArray(), kv.CreateRevision, kv.ModRevision, kv.Lease);
}
