namespace Loadstone.Scaling;

/// <summary>Where a <see cref="ScalingMetric"/>'s values come from: one of the pool's measurements, or the application.</summary>
internal enum ScalingMetricKind
{
    InFlight,
    RequestRate,
    Latency,
    Custom,
}
