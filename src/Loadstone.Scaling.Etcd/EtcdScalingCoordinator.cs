using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Discovery;
using Loadstone.Discovery.Etcd;
using Loadstone.Etcd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling.Etcd;

/// <summary>
/// Coordinates the copies of a scaling group through etcd. Each copy holds a lease (kept alive every third of
/// <see cref="EtcdScalingOptions.LeaseTtl"/>) and campaigns with a candidate key under it; the candidate with the lowest
/// create revision leads. Every write of the group's state is a transaction conditioned on the leader's key still having
/// that create revision, so a deposed leader (its lease expired, its key gone) can never write, and a leader cut off from
/// etcd stops acting when its lease could have expired, before anyone else can be elected. It also publishes this
/// client's load under its lease and adds up every client's (<see cref="FleetLoad"/>), and watches the instances' own
/// registrations (<see cref="InstanceEndpoints"/>).
/// </summary>
/// <remarks>
/// One watch on the group's prefix keeps a local copy of every key (candidates, state, load reports, registrations), from
/// which leadership, the fleet's load and the registrations are read. Give it to a group with <c>UseEtcdCoordination</c>,
/// or as <see cref="ScalingGroupDependencies.Coordinator"/> and <see cref="ScalingGroupDependencies.MetricsSource"/>
/// (<see cref="FleetLoad"/>) without a container.
/// </remarks>
public sealed partial class EtcdScalingCoordinator : IScalingGroupCoordinator, IAsyncDisposable
{
    private const string ElectionPart = "election/";
    private const string StatePart = "state/";
    private const string LoadPart = "load/";
    private const string InstancesPart = "instances/";

    private readonly EtcdScalingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdLeaseSession _session;
    private readonly EtcdPrefixMirror _mirror;
    private readonly EtcdConnection _requests;
    private readonly EtcdEndpointSource _instanceEndpoints;
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _campaigning = new(1, 1);
    private readonly Lock _gate = new();
    private string? _candidateKey;
    private long _candidateRevision;
    private long _candidateGeneration;
    private long _term;
    private bool _announced;
    private int _started;

    /// <summary>Creates the coordinator of one copy of a group; it campaigns once <see cref="StartAsync"/> is called (the group calls it).</summary>
    /// <param name="groupName">The group's name (the service's), for logs and errors.</param>
    /// <param name="options">Where to coordinate; copied.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of keep-alives, deadlines, back-off and report stamps; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public EtcdScalingCoordinator(string groupName, EtcdScalingOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupName);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems(groupName);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(groupName, typeof(EtcdScalingOptions), problems);
        }

        GroupName = groupName;
        _options = options.Clone();
        Prefix = _options.Prefix!;
        ClientId = _options.ClientId ?? $"{Environment.MachineName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        Name = $"etcd:{Prefix}";
        _time = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("Loadstone.Scaling.Etcd");
        _session = new EtcdLeaseSession(_options.Endpoints, _options.LeaseTtl, _options.RequestTimeout, _options.RetryDelay, _options.MaxRetryDelay, _time);
        _mirror = new EtcdPrefixMirror(_options.Endpoints, Prefix, _options.RequestTimeout, _options.RetryDelay, _options.MaxRetryDelay, _time);
        _requests = new EtcdConnection(_options.Endpoints);
        var instances = new EtcdDiscoveryOptions { Prefix = Prefix + InstancesPart, RetryDelay = _options.RetryDelay, MaxRetryDelay = _options.MaxRetryDelay };
        foreach (var endpoint in _options.Endpoints)
        {
            instances.Endpoints.Add(endpoint);
        }

        _instanceEndpoints = new EtcdEndpointSource(groupName, instances, loggerFactory, _time);
        FleetLoad = new FleetLoadAggregator(_time);
        _session.Changed += OnSessionChanged;
        _session.Failed += (ex, delay) => Log.SessionFailed(_logger, Name, _session.Endpoint, delay, ex);
        _mirror.Updated += OnMirrorUpdated;
        _mirror.Failed += (ex, delay) => Log.WatchFailed(_logger, Name, delay, ex);
    }

    /// <summary>A short description for logs: <c>etcd:{Prefix}</c>.</summary>
    public string Name { get; }

    /// <summary>The group's name.</summary>
    public string GroupName { get; }

    /// <summary>The group's key prefix.</summary>
    public string Prefix { get; }

    /// <summary>This client's name in the fleet.</summary>
    public string ClientId { get; }

    /// <summary>The key prefix the instances register under (<c>{Prefix}instances/</c>): pass it to them as <c>LOADSTONE_PREFIX</c>.</summary>
    public string InstancesPrefix => Prefix + InstancesPart;

    /// <summary>The etcd cluster's client URLs, as configured.</summary>
    public IReadOnlyList<string> Endpoints => [.. _options.Endpoints];

    /// <summary>The fleet's load: every client's last report (removed when its lease expires), added up per endpoint.</summary>
    public FleetLoadAggregator FleetLoad { get; }

    /// <inheritdoc />
    public bool IsLeader
    {
        get
        {
            lock (_gate)
            {
                return IsLeaderCore();
            }
        }
    }

    /// <inheritdoc />
    public long Term
    {
        get
        {
            lock (_gate)
            {
                return IsLeaderCore() ? _term : 0;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>An etcd source on <see cref="InstancesPrefix"/>: the instances' own registrations.</remarks>
    public IEndpointSource? InstanceEndpoints => _instanceEndpoints;

    /// <inheritdoc />
    public IChangeToken GetChangeToken() => _changed.Token;

    /// <inheritdoc />
    public ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _started, 1, 0) == 0)
        {
            _mirror.Start();
            _session.Start();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Deletes the candidate key and revokes the lease, so another copy leads at once and this client's report goes.</remarks>
    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 2) != 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        bool wasLeader;
        lock (_gate)
        {
            wasLeader = IsLeaderCore();
            _term = 0;
            _candidateKey = null;
        }

        await _session.RevokeAsync(cancellationToken).ConfigureAwait(false);
        Log.Resigned(_logger, Name, ClientId, wasLeader);
        _changed.Fire();
    }

    /// <summary>Stops campaigning (giving leadership up) and every watch.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Leadership then lapses with the lease.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ResignFailed(_logger, Name, _options.LeaseTtl, ex);
        }

        await StopReportingAsync().ConfigureAwait(false);
        _changed.Dispose();
        await _session.DisposeAsync().ConfigureAwait(false);
        await _mirror.DisposeAsync().ConfigureAwait(false);
        await _instanceEndpoints.DisposeAsync().ConfigureAwait(false);
        _requests.Dispose();
        _campaigning.Dispose();
        _stopping.Dispose();
    }

    /// <summary>The leader: a campaign in the current lease, the lowest candidate in a view at least as new as the campaign, and the lease certainly alive.</summary>
    private bool IsLeaderCore() => _term != 0 && _candidateGeneration == _session.Generation && _session.IsAlive;

    private void OnSessionChanged()
    {
        _ = CampaignAsync();
        Evaluate();
    }

    /// <summary>Puts this copy's candidate key under the current lease, once per lease.</summary>
    private async Task CampaignAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await _campaigning.WaitAsync(_stopping.Token).ConfigureAwait(false);
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
                if (lease == 0 || _candidateGeneration == generation)
                {
                    return;
                }
            }

            var key = $"{Prefix}{ElectionPart}{lease:x16}";
            var keyBytes = ByteString.CopyFromUtf8(key);
            var response = await _requests.KV.TxnAsync(new TxnRequest
            {
                Compare = { new Compare { Key = keyBytes, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 } },
                Success = { new RequestOp { RequestPut = new PutRequest { Key = keyBytes, Value = ByteString.CopyFromUtf8(ClientId), Lease = lease } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = keyBytes } } },
            }, EtcdConnection.Deadline(_options.RequestTimeout, _stopping.Token)).ConfigureAwait(false);
            var revision = response.Succeeded ? response.Header.Revision : response.Responses[0].ResponseRange.Kvs[0].CreateRevision;
            lock (_gate)
            {
                _candidateKey = key;
                _candidateRevision = revision;
                _candidateGeneration = generation;
            }

            Log.Campaigning(_logger, Name, ClientId, revision);
            Evaluate();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
#pragma warning disable CA1031 // Campaigns again after a delay (the session also retries on its own).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CampaignFailed(_logger, Name, ex);
            _ = CampaignLaterAsync();
        }
        finally
        {
            _campaigning.Release();
        }
    }

    private async Task CampaignLaterAsync()
    {
        try
        {
            await Task.Delay(_options.RetryDelay, _time, _stopping.Token).ConfigureAwait(false);
            await CampaignAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Works out who leads from the local copy of the candidates; fires the token when this copy's leadership changed.</summary>
    private void Evaluate()
    {
        bool changed;
        bool leading;
        long term;
        lock (_gate)
        {
            var lowest = _mirror.Oldest(Prefix + ElectionPart);
            var mine = _candidateKey is not null && lowest is not null && lowest.Key == _candidateKey
                && lowest.CreateRevision == _candidateRevision && _mirror.Revision >= _candidateRevision;
            _term = mine ? _candidateRevision : 0;
            leading = IsLeaderCore();
            changed = leading != _announced;
            _announced = leading;
            term = _term;
        }

        if (changed)
        {
            if (leading)
            {
                Log.Elected(_logger, Name, ClientId, term);
            }
            else
            {
                Log.NotLeading(_logger, Name, ClientId, _session.IsAlive ? "another copy leads" : "this copy's lease may have expired");
            }

            _changed.Fire();
        }
    }

    private void OnMirrorUpdated(IReadOnlyCollection<string> keys)
    {
        var election = false;
        var state = false;
        foreach (var key in keys)
        {
            var part = key.AsSpan(Prefix.Length);
            if (part.StartsWith(ElectionPart, StringComparison.Ordinal))
            {
                election = true;
            }
            else if (part.StartsWith(StatePart, StringComparison.Ordinal))
            {
                state = true;
            }
            else if (part.StartsWith(LoadPart, StringComparison.Ordinal))
            {
                OnLoadReport(key, part[LoadPart.Length..].ToString());
            }
        }

        // Leadership can change with the candidates, or once the copy has caught up with this copy's own campaign.
        bool waiting;
        lock (_gate)
        {
            waiting = _candidateKey is not null && _term == 0;
        }

        if (election || waiting)
        {
            Evaluate();
        }

        if (state)
        {
            _changed.Fire();
        }
    }
}
