using System.Text;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>
/// "Launches" an instance by activating one endpoint of a larger, already running fleet, so that each client talks
/// to a right-sized, zone-balanced subset of a big service (the idea of Finagle's aperture and of subsetting in gRPC
/// and Envoy). The group decides how many endpoints and in which zones; this launcher decides which ones.
/// </summary>
/// <remarks>
/// Endpoints are ranked per client by rendezvous hashing of <c>clientId</c> and the endpoint's id, so different clients
/// pick different subsets that spread the load, and each client's subset changes little when the fleet changes. An
/// endpoint that leaves the fleet is reported <see cref="InstanceStatus.Stopped"/>, so the group replaces it. A launch
/// in a zone with no unused endpoint fails (set the group's zones to the fleet's, and its max size to at most the
/// fleet's size). Stopping only deactivates the endpoint.
/// </remarks>
public sealed class SubsetInstanceLauncher : IInstanceLauncher, IDisposable
{
    private readonly IEndpointSource _fleet;
    private readonly string _clientId;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private HashSet<string> _present = new(StringComparer.Ordinal);

    /// <summary>Creates the launcher.</summary>
    /// <param name="fleet">The whole fleet's endpoints (a registry, DNS, configuration), watched for changes.</param>
    /// <param name="clientId">This client's identity (e.g. host name and process id); it decides which endpoints it prefers.</param>
    public SubsetInstanceLauncher(IEndpointSource fleet, string clientId)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        _fleet = fleet;
        _clientId = clientId;
        _subscription = ChangeToken.OnChange(() => fleet.GetChangeToken() ?? NeverChangeToken.Instance, () => _ = RefreshAsync(CancellationToken.None));
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
        var fleet = await RefreshAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var pick = fleet
                .Where(e => !_active.Contains(e.Id) && (zone is null || string.Equals(e.Zone, zone, StringComparison.Ordinal)))
                .OrderByDescending(e => Score(_clientId, e.Id))
                .ThenBy(e => e.Id, StringComparer.Ordinal)
                .FirstOrDefault()
                ?? throw new InvalidOperationException(
                    $"The fleet of '{_fleet.Name}' has no unused endpoint{(zone is null ? "" : $" in zone '{zone}'")} ({_active.Count} of {fleet.Count} active).");
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

    private async Task<IReadOnlyList<LoadBalancedEndpoint>> RefreshAsync(CancellationToken cancellationToken)
    {
        var fleet = await _fleet.GetEndpointsAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _present = fleet.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        }

        return fleet;
    }

    /// <summary>Rendezvous (highest random weight) score: FNV-1a 64 of client and endpoint, then mixed.</summary>
    internal static ulong Score(string clientId, string endpointId)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(clientId + "\n" + endpointId))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // FNV's low bits mix poorly for similar inputs; finish with a 64-bit avalanche (splitmix64).
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }
}
