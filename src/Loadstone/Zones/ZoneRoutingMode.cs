namespace Loadstone;

/// <summary>How a pool's traffic is shared between availability zones.</summary>
public enum ZoneRoutingMode
{
    /// <summary>
    /// The default: zones are ignored and every healthy endpoint gets its weight's share, as an ALB with cross-zone
    /// load balancing on. Zone A with 2 endpoints and zone B with 8: each endpoint 10 %.
    /// </summary>
    CrossZone,

    /// <summary>
    /// Cross-zone load balancing off (an NLB's default): every zone with a healthy endpoint gets an equal share,
    /// split within the zone by weight. Zone A with 2 endpoints and zone B with 8: each A endpoint 25 %, each B
    /// endpoint 6.25 %.
    /// </summary>
    PerZone,

    /// <summary>
    /// Zonal affinity (an NLB client routing policy): <see cref="ZoneOptions.LocalShare"/> of the traffic (100 % by
    /// default, 85 % for partial affinity) goes to <see cref="ZoneOptions.LocalZone"/> while it has a healthy
    /// endpoint, the rest to the other zones by healthy weight.
    /// </summary>
    Affinity,

    /// <summary>
    /// Envoy's zone-aware routing: with U the local zone's share of healthy upstream capacity and L its share of
    /// callers (<see cref="ZoneOptions.CallerShares"/>), stay 100 % local when U ≥ L, else send U/L locally and spread
    /// the rest over the other zones in proportion to their spare capacity max(0, U[z] − L[z]). Below
    /// <see cref="ZoneOptions.MinimumPoolSize"/> healthy endpoints, zones are ignored.
    /// </summary>
    ZoneAware,
}
