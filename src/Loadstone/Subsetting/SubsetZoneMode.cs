namespace Loadstone;

/// <summary>How a subset is spread over availability zones.</summary>
public enum SubsetZoneMode
{
    /// <summary>The default: each subset holds every zone in proportion to its share of the endpoints, within one endpoint.</summary>
    Proportional,

    /// <summary>
    /// The subset is taken from the endpoints in the pool's local zone (<c>Zones:LocalZone</c>) only, like an NLB's
    /// <c>availability_zone_affinity</c>. The peer coordinate then numbers the clients of that zone. When the zone has no
    /// endpoint, the subset is taken from all zones.
    /// </summary>
    LocalZone,
}
