namespace Loadstone;

/// <summary>
/// The subsetting stage of one pool: from the members, their health and this client's peer coordinate to the subset
/// the strategy picks from. Control plane only: call <see cref="Select"/> when a snapshot is built (membership,
/// health or coordinate changed), never per request. Keeps the ring while the membership stays the same, so a health
/// change costs O(subset size).
/// </summary>
internal sealed class SubsetSelector
{
    private readonly SubsettingOptions _options;
    private readonly string? _localZone;
    private SubsetRing? _ring;
    private string[] _ringIds = [];
    private string?[] _ringZones = [];
    private PeerCoordinate _gridFor;
    private int _slot;
    private double _gridPhase;

    /// <summary>Creates the stage.</summary>
    /// <param name="service">The service, for messages.</param>
    /// <param name="options">Validated options with <see cref="SubsettingOptions.IsEnabled"/> set.</param>
    /// <param name="localZone">The pool's <c>Zones:LocalZone</c>.</param>
    /// <param name="peers">Where the coordinate comes from; <see langword="null"/> for the options' index and count.</param>
    public SubsetSelector(string service, SubsettingOptions options, string? localZone, IPeerCoordinateSource? peers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _localZone = localZone;
        Peers = options.CreatePeerCoordinateSource(service, peers);
    }

    /// <summary>Where the coordinate comes from; rebuild the snapshot when its change token fires.</summary>
    public IPeerCoordinateSource Peers { get; }

    /// <summary>The subset size for <paramref name="endpoints"/> endpoints (on the ring) and <paramref name="clients"/> clients.</summary>
    public static int SizeFor(SubsettingOptions options, int endpoints, int clients)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (endpoints <= 0)
        {
            return 0;
        }

        switch (options.Mode)
        {
            case SubsettingMode.Deterministic:
                return Math.Min(options.SubsetSize, endpoints);
            case SubsettingMode.Aperture:
                // Finagle's width: whole client units (1/C of the ring) until at least MinAperture endpoints are
                // covered, so every endpoint has a client; rounded up to whole endpoints.
                var aperture = Math.Min(options.MinAperture, endpoints);
                var units = ((long)aperture * clients + endpoints - 1) / endpoints;
                return (int)Math.Min(endpoints, ((units * endpoints) + clients - 1) / clients);
            default:
                return endpoints;
        }
    }

    /// <summary>
    /// Writes the subset (indices into <paramref name="members"/>) for the current coordinate and health.
    /// </summary>
    /// <param name="members">The pool's members, at least one.</param>
    /// <param name="healthy">Health by member index, or empty for all healthy.</param>
    /// <param name="destination">At least <c>members.Count</c> long (a subset never holds more).</param>
    /// <returns>How many indices were written.</returns>
    public int Select(IReadOnlyList<LoadBalancedEndpoint> members, ReadOnlySpan<bool> healthy, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(members);
        var ring = RingFor(members);
        var coordinate = Peers.Current;
        if (coordinate.Count < 1)
        {
            throw new InvalidOperationException($"The peer coordinate source '{Peers.Name}' returned no coordinate.");
        }

        if (coordinate != _gridFor)
        {
            _slot = PeerGrid.SlotOf(coordinate.Index, coordinate.Count);
            _gridPhase = PeerGrid.Phase(coordinate.Count);
            _gridFor = coordinate;
        }

        var size = SizeFor(_options, ring.Count, coordinate.Count);
        return ring.Select(ring.StartOf(_slot, _gridPhase, coordinate.Count), size, healthy, destination);
    }

    private SubsetRing RingFor(IReadOnlyList<LoadBalancedEndpoint> members)
    {
        if (_ring is { } ring && SameMembers(members))
        {
            return ring;
        }

        _ring = SubsetRing.Build(members, _options.ZoneMode, _localZone);
        _ringIds = members.Select(m => m.Id).ToArray();
        _ringZones = members.Select(m => m.Zone).ToArray();
        return _ring;
    }

    private bool SameMembers(IReadOnlyList<LoadBalancedEndpoint> members)
    {
        if (members.Count != _ringIds.Length)
        {
            return false;
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (!string.Equals(members[i].Id, _ringIds[i], StringComparison.Ordinal) ||
                !string.Equals(members[i].Zone, _ringZones[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
