using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>
/// "Launches" an instance by activating one endpoint of a larger, already running fleet, so that each client talks
/// to a right-sized, zone-balanced subset of a big service whose size the group decides (by load, on a schedule),
/// like Finagle's dynamic aperture. The group decides how many endpoints and in which zones; this launcher decides
/// which ones, with the same deterministic subsetting as <see cref="SubsettingOptions"/>.
/// </summary>
/// <remarks>
/// Client i of C prefers the endpoints in ring order from the start of its window (see docs/subsetting.md): the
/// first k of a client's preferences are its deterministic subset of size k, so when every client of the fleet
/// holds k endpoints each endpoint has the same number of clients, within one. A launch in a zone takes the
/// client's first unused preference in that zone. The fleet is read again and the ring rebuilt only when the fleet's
/// change token fires, so a launch costs a walk from the window's start, not a sort of the fleet. An endpoint that leaves the fleet is reported
/// <see cref="InstanceStatus.Stopped"/>, so the group replaces it. A launch in a zone with no unused endpoint fails
/// (set the group's zones to the fleet's, and its max size to at most the fleet's size). Stopping only deactivates
/// the endpoint.
/// </remarks>
public sealed class SubsetInstanceLauncher : IInstanceLauncher, IDisposable
{
    private readonly IEndpointSource _fleet;
    private readonly IPeerCoordinateSource _peers;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private HashSet<string> _present = new(StringComparer.Ordinal);
    private IReadOnlyList<LoadBalancedEndpoint> _members = [];
    private SubsetPreferences? _preferences;
    private PeerCoordinate _startFor;
    private int _start;
    private volatile bool _stale = true;

    /// <summary>Creates the launcher.</summary>
    /// <param name="fleet">The whole fleet's endpoints (a registry, DNS, configuration), watched for changes.</param>
    /// <param name="peers">This client's coordinate among the clients that share the fleet.</param>
    public SubsetInstanceLauncher(IEndpointSource fleet, IPeerCoordinateSource peers)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(peers);
        _fleet = fleet;
        _peers = peers;
        _subscription = ChangeToken.OnChange(() => fleet.GetChangeToken() ?? NeverChangeToken.Instance, () =>
        {
            _stale = true;
            _ = RefreshAsync(CancellationToken.None);
        });
    }

    /// <summary>Creates the launcher for client <paramref name="clientIndex"/> of <paramref name="clientCount"/>.</summary>
    /// <param name="fleet">The whole fleet's endpoints, watched for changes.</param>
    /// <param name="clientIndex">This client's stable index (e.g. a StatefulSet ordinal), from 0 to <paramref name="clientCount"/> − 1.</param>
    /// <param name="clientCount">The number of clients sharing the fleet, at least 1.</param>
    public SubsetInstanceLauncher(IEndpointSource fleet, int clientIndex, int clientCount)
        : this(fleet, new FixedCoordinate(new PeerCoordinate(clientIndex, clientCount)))
    {
    }

    /// <summary>Always 1: the fleet's endpoints are what they are.</summary>
    public int LaunchTemplateVersion => 1;

    /// <summary>The endpoint ids active now.</summary>
    public IReadOnlyCollection<string> Active
    {
        get
        {
            lock (_gate)
            {
                return [.. _active];
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken)
    {
        if (_stale)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            var pick = NextPreference(zone) ?? throw new InvalidOperationException(
                $"The fleet of '{_fleet.Name}' has no unused endpoint{(zone is null ? "" : $" in zone '{zone}'")} ({_active.Count} of {_members.Count} active).");
            _active.Add(pick.Id);
            return new LaunchedInstance(pick.Id, pick, pick.Zone, LaunchTemplateVersion);
        }
    }

    /// <inheritdoc />
    public ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate)
        {
            _active.Remove(instance.Id);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public InstanceStatus GetStatus(LaunchedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate)
        {
            return _present.Contains(instance.Id) ? InstanceStatus.Running : InstanceStatus.Stopped;
        }
    }

    /// <summary>Stops watching the fleet.</summary>
    public void Dispose() => _subscription.Dispose();

    // The first unused endpoint in ring order from this client's window start, in the zone when one is asked for.
    private LoadBalancedEndpoint? NextPreference(string? zone)
    {
        if (_preferences is not { } preferences)
        {
            return null;
        }

        var coordinate = _peers.Current;
        if (coordinate != _startFor)
        {
            _start = preferences.StartOf(coordinate);
            _startFor = coordinate;
        }

        for (var k = 0; k < preferences.Count; k++)
        {
            var member = preferences[(_start + k) % preferences.Count];
            if (!_active.Contains(member.Id) && (zone is null || string.Equals(member.Zone, zone, StringComparison.Ordinal)))
            {
                return member;
            }
        }

        return null;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        // Cleared before reading, so a change that fires while this reads marks the result stale again.
        _stale = false;
        var fleet = await _fleet.GetEndpointsAsync(cancellationToken).ConfigureAwait(false);
        var ids = fleet.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            if (_preferences is not null && ids.SetEquals(_present) && fleet.Count == _members.Count)
            {
                return;
            }

            _present = ids;
            _members = [.. fleet];
            _preferences = fleet.Count == 0 ? null : SubsetPreferences.Build(_members);
            _startFor = default;
        }
    }

    /// <summary>A coordinate that never changes.</summary>
    private sealed class FixedCoordinate(PeerCoordinate coordinate) : IPeerCoordinateSource
    {
        public string Name => "launcher";

        public PeerCoordinate Current { get; } = coordinate;

        public IChangeToken? GetChangeToken() => null;
    }
}
