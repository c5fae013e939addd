namespace Loadstone;

/// <summary>
/// The order in which each client of a fleet prefers the fleet's endpoints under deterministic subsetting, for
/// callers that take endpoints one at a time instead of through a pool's <see cref="SubsettingOptions"/> (the subset
/// launcher of a scaling group, say). The endpoints lie on a ring; a client's order is the ring read from its window's
/// start on: <c>this[(StartOf(client) + k) % Count]</c> for k = 0, 1, …. The first k endpoints of a client's order
/// are its deterministic subset of size k, so when every client holds k endpoints, each endpoint has the same number
/// of clients, within one. Zones are interleaved in proportion to their sizes. Immutable: build it again when the
/// fleet changes.
/// </summary>
public sealed class SubsetPreferences
{
    private readonly SubsetRing _ring;
    private readonly LoadBalancedEndpoint[] _fleet;

    private SubsetPreferences(SubsetRing ring, LoadBalancedEndpoint[] fleet)
    {
        _ring = ring;
        _fleet = fleet;
    }

    /// <summary>The number of endpoints on the ring: the fleet's.</summary>
    public int Count => _ring.Count;

    /// <summary>The endpoint at a ring position.</summary>
    /// <param name="position">From 0 to <see cref="Count"/> − 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The position is outside the ring.</exception>
    public LoadBalancedEndpoint this[int position]
    {
        get
        {
            if ((uint)position >= (uint)_ring.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(position), position, $"A ring position is between 0 and {_ring.Count - 1}.");
            }

            return _fleet[_ring.MemberAt(position)];
        }
    }

    /// <summary>Builds the preferences over a fleet, in O(N log N); the same fleet gives the same order in every process.</summary>
    /// <param name="fleet">The fleet's endpoints, at least one, in any order.</param>
    /// <exception cref="ArgumentException">The fleet is empty.</exception>
    public static SubsetPreferences Build(IReadOnlyList<LoadBalancedEndpoint> fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        LoadBalancedEndpoint[] members = [.. fleet];
        return new SubsetPreferences(SubsetRing.Build(members, SubsetZoneMode.Proportional, null), members);
    }

    /// <summary>
    /// The ring position where <paramref name="client"/>'s order starts (its window's start). O(C), C the client
    /// count: keep it while the client's coordinate stays the same.
    /// </summary>
    /// <param name="client">The client's coordinate among the fleet's clients.</param>
    public int StartOf(PeerCoordinate client) => _ring.StartOf(client);
}
