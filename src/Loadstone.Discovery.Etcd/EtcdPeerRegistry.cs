using System.Globalization;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Etcd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// This client's peer coordinate from a registry in etcd: every client of a service holds one slot key
/// <c>{Prefix}{slot}</c> under its own lease, claimed with a create-if-absent transaction on the lowest free slot. The
/// slot is the client's index; the count is the highest slot in use plus one. A client keeps its slot for the life of
/// its lease; one that leaves (or crashes, when its lease expires) frees its slot for the next to join, and the others
/// keep theirs, so a client joining or leaving moves as few subsets as the numbering allows (see docs/subsetting.md).
/// </summary>
/// <remarks>
/// Until it has claimed a slot (<see cref="JoinAsync"/>), <see cref="Current"/> is 0 of 1. The change token fires when
/// the slot or the count changes. If the lease is lost (an outage longer than the TTL), the client claims a slot again,
/// the lowest free one then.
/// </remarks>
public sealed partial class EtcdPeerRegistry : IPeerCoordinateSource, IAsyncDisposable
{
    private static readonly PeerCoordinate s_alone = new(0, 1);

    private readonly EtcdPeerRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly EtcdLeaseSession _session;
    private readonly EtcdPrefixMirror _mirror;
    private readonly EtcdConnection _requests;
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _claiming = new(1, 1);
    private readonly Lock _gate = new();
    private PeerCoordinate _current = s_alone;
    private int? _slot;
    private long _slotGeneration;
    private int _started;

    /// <summary>Creates a registry client; it joins when <see cref="JoinAsync"/> is called.</summary>
    /// <param name="serviceName">The service whose clients number themselves, for logs and errors.</param>
    /// <param name="options">Where to register; copied.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of keep-alives and back-off; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public EtcdPeerRegistry(string serviceName, EtcdPeerRegistryOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(options);
        var problems = EtcdOptionsValidator.ValidatePeers(serviceName, options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(serviceName, typeof(EtcdPeerRegistryOptions), problems);
        }

        ServiceName = serviceName;
        _options = options.Clone();
        var time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Discovery.EtcdPeers");
        _session = new EtcdLeaseSession(_options.Endpoints, _options.LeaseTtl, _options.RequestTimeout, _options.RetryDelay, _options.MaxRetryDelay, time);
        _mirror = new EtcdPrefixMirror(_options.Endpoints, _options.Prefix!, _options.RequestTimeout, _options.RetryDelay, _options.MaxRetryDelay, time);
        _requests = new EtcdConnection(_options.Endpoints);
        Name = $"etcd:{_options.Prefix}";
        _session.Changed += () => _ = ClaimAsync();
        _session.Failed += (ex, delay) => Log.SessionFailed(_logger, Name, delay, ex);
        _mirror.Updated += _ => OnMirrorUpdated();
        _mirror.Failed += (ex, delay) => Log.WatchFailed(_logger, Name, delay, ex);
    }

    /// <summary>A short description for logs: <c>etcd:{Prefix}</c>.</summary>
    public string Name { get; }

    /// <summary>The service whose clients number themselves.</summary>
    public string ServiceName { get; }

    /// <summary>This client's slot, or <see langword="null"/> while it holds none.</summary>
    public int? Slot
    {
        get
        {
            lock (_gate)
            {
                return _slot;
            }
        }
    }

    /// <summary>This client's index (its slot) and the count (the highest slot in use + 1); 0 of 1 before it has joined.</summary>
    public PeerCoordinate Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>How long host start-up waits to join (the request timeout).</summary>
    internal TimeSpan JoinTimeout => _options.RequestTimeout;

    /// <summary>A token that fires when the coordinate changes.</summary>
    public IChangeToken? GetChangeToken() => _changed.Token;

    /// <summary>Starts registering and waits until this client holds a slot.</summary>
    /// <param name="cancellationToken">Stops the wait (registering goes on in the background).</param>
    public Task JoinAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _mirror.Start();
            _session.Start();
        }

        return _joined.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Leaves: revokes the lease (the slot is freed at once) and stops watching.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _started, 2) == 2)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _session.RevokeAsync(CancellationToken.None).ConfigureAwait(false);
            Log.Left(_logger, Name, Slot);
        }
#pragma warning disable CA1031 // The slot is freed when the lease expires.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.LeaveFailed(_logger, Name, _options.LeaseTtl, ex);
        }

        _changed.Dispose();
        await _session.DisposeAsync().ConfigureAwait(false);
        await _mirror.DisposeAsync().ConfigureAwait(false);
        _requests.Dispose();
        _claiming.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Claims the lowest free slot under the current lease, once per lease.</summary>
    private async Task ClaimAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _claiming.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            var lease = _session.LeaseId;
            var generation = _session.Generation;
            lock (_gate)
            {
                // One claim per lease. While a lost lease is replaced, the last coordinate stays in use.
                if (lease == 0 || _slotGeneration == generation)
                {
                    return;
                }
            }

            var taken = _mirror.Snapshot().Keys.Select(SlotOf).Where(s => s >= 0).ToHashSet();
            for (var slot = 0; slot < SubsettingOptions.MaxClientCount; slot++)
            {
                if (taken.Contains(slot))
                {
                    continue;
                }

                var key = ByteString.CopyFromUtf8(KeyOf(slot));
                var response = await _requests.KV.TxnAsync(new TxnRequest
                {
                    Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
                    Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(Environment.MachineName), Lease = lease } } },
                }, EtcdConnection.Deadline(_options.RequestTimeout, _stopping.Token)).ConfigureAwait(false);
                if (response.Succeeded)
                {
                    lock (_gate)
                    {
                        _slot = slot;
                        _slotGeneration = generation;
                    }

                    Log.Joined(_logger, Name, slot, lease);
                    OnMirrorUpdated();
                    _joined.TrySetResult();
                    return;
                }
            }

            throw new InvalidOperationException($"Every one of the {SubsettingOptions.MaxClientCount} slots under '{_options.Prefix}' is taken.");
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Leaving.
        }
#pragma warning disable CA1031 // Tried again with the next change of the session (a new lease, or keep-alives resuming).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ClaimFailed(_logger, Name, ex);
            _ = RetryClaimLaterAsync();
        }
        finally
        {
            _claiming.Release();
        }
    }

    private async Task RetryClaimLaterAsync()
    {
        try
        {
            await Task.Delay(_options.RetryDelay, _stopping.Token).ConfigureAwait(false);
            await ClaimAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Leaving.
        }
    }

    /// <summary>Recomputes the coordinate from the slots in use; fires the token when it changed.</summary>
    private void OnMirrorUpdated()
    {
        var highest = _mirror.Snapshot().Keys.Select(SlotOf).DefaultIfEmpty(-1).Max();
        PeerCoordinate next;
        lock (_gate)
        {
            next = _slot is { } slot ? new PeerCoordinate(slot, Math.Max(highest, slot) + 1) : s_alone;
            if (next == _current)
            {
                return;
            }

            _current = next;
        }

        Log.CoordinateChanged(_logger, Name, next.Index, next.Count);
        _changed.Fire();
    }

    private string KeyOf(int slot) => _options.Prefix + slot.ToString("D7", CultureInfo.InvariantCulture);

    private int SlotOf(string key) =>
        key.Length > _options.Prefix!.Length && int.TryParse(key.AsSpan(_options.Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var slot)
            ? slot
            : -1;

    private static partial class Log
    {
        [LoggerMessage(1360, LogLevel.Information, "Peer registry '{Registry}': joined with slot {Slot} under lease {Lease:x}.", EventName = "EtcdPeerJoined")]
        public static partial void Joined(ILogger logger, string registry, int slot, long lease);

        [LoggerMessage(1361, LogLevel.Information, "Peer registry '{Registry}': this client is {Index} of {Count}.", EventName = "EtcdPeerCoordinateChanged")]
        public static partial void CoordinateChanged(ILogger logger, string registry, int index, int count);

        [LoggerMessage(1362, LogLevel.Warning, "Peer registry '{Registry}': could not claim a slot; trying again.", EventName = "EtcdPeerClaimFailed")]
        public static partial void ClaimFailed(ILogger logger, string registry, Exception exception);

        [LoggerMessage(1363, LogLevel.Warning, "Peer registry '{Registry}': the lease could not be granted or kept alive; trying again in {Delay}.", EventName = "EtcdPeerSessionFailed")]
        public static partial void SessionFailed(ILogger logger, string registry, TimeSpan delay, Exception exception);

        [LoggerMessage(1364, LogLevel.Warning, "Peer registry '{Registry}': the watch of the slots failed; the coordinate stays as it is; trying again in {Delay}.", EventName = "EtcdPeerWatchFailed")]
        public static partial void WatchFailed(ILogger logger, string registry, TimeSpan delay, Exception exception);

        [LoggerMessage(1365, LogLevel.Information, "Peer registry '{Registry}': left, freeing slot {Slot}.", EventName = "EtcdPeerLeft")]
        public static partial void Left(ILogger logger, string registry, int? slot);

        [LoggerMessage(1366, LogLevel.Warning, "Peer registry '{Registry}': could not revoke the lease when leaving; the slot is freed when it expires (TTL {Ttl}).", EventName = "EtcdPeerLeaveFailed")]
        public static partial void LeaveFailed(ILogger logger, string registry, TimeSpan ttl, Exception exception);
    }
}
