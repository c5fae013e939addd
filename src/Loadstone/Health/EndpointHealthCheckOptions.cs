namespace Loadstone;

/// <summary>How a pool decides which endpoints are healthy: active probes, passive outlier detection, and fail-open.</summary>
public sealed class EndpointHealthCheckOptions
{
    /// <summary>Active health checks (probes). Disabled by default.</summary>
    public ActiveHealthCheckOptions Active { get; set; } = new();

    /// <summary>Passive health checks (outlier detection) from real traffic. Enabled by default.</summary>
    public OutlierDetectionOptions Passive { get; set; } = new();

    /// <summary>What happens when too few endpoints are healthy. Fails open when none is, by default.</summary>
    public FailOpenOptions FailOpen { get; set; } = new();
}
