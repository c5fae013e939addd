namespace Loadstone;

/// <summary>
/// Fail-open: when too few endpoints are healthy, route to all of them (except draining ones) as if healthy, like an
/// ALB target group when every target is unhealthy, or Envoy's panic threshold. Either threshold breached triggers it.
/// With <see cref="ZoneRoutingMode.PerZone"/> (cross-zone off) the thresholds are also applied to each zone, as an ALB
/// does per zone: a zone that breaches them while it still has a healthy endpoint routes to all of its own endpoints.
/// </summary>
public sealed class FailOpenOptions
{
    /// <summary>Whether the pool fails open. The default is <see langword="true"/>; when off, a pool with no healthy endpoint fails requests.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Fail open when fewer endpoints than this are healthy, 0 to 100,000. The default is 1 (only when none is), as an ALB.</summary>
    public int MinimumHealthyCount { get; set; } = 1;

    /// <summary>Fail open when fewer than this percentage of endpoints are healthy, 0 to 100; 0 (the default) turns the rule off. Envoy's panic threshold is 50.</summary>
    public int MinimumHealthyPercent { get; set; }
}
