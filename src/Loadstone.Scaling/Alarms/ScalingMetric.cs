namespace Loadstone.Scaling;

/// <summary>
/// A metric that alarms and target tracking watch. The built-in ones come from the balancer
/// (<see cref="ServicePool.Endpoints"/> of the pool given to <see cref="ScalingGroup.AttachPool"/>), averaged over the
/// in-service instances that are past their warmup; the group samples them on each reconcile tick and averages the
/// samples of a period into one datapoint. A period without samples is missing data.
/// </summary>
public sealed class ScalingMetric
{
    private ScalingMetric(string name, ScalingMetricKind kind, Func<double?>? read)
    {
        Name = name;
        Kind = kind;
        Read = read;
    }

    /// <summary>The metric's name.</summary>
    public string Name { get; }

    internal ScalingMetricKind Kind { get; }

    internal Func<double?>? Read { get; }

    /// <summary>
    /// The average number of in-flight requests per instance (<see cref="EndpointState.ActiveRequests"/>), like a
    /// target tracking policy on active connections per target.
    /// </summary>
    public static ScalingMetric AverageInFlightRequests { get; } = new(nameof(AverageInFlightRequests), ScalingMetricKind.InFlight, null);

    /// <summary>
    /// Requests completed per instance per minute (from <see cref="EndpointState.TotalRequests"/>), like the
    /// predefined metric ALBRequestCountPerTarget.
    /// </summary>
    public static ScalingMetric RequestsPerInstancePerMinute { get; } = new(nameof(RequestsPerInstancePerMinute), ScalingMetricKind.RequestRate, null);

    /// <summary>The average of the instances' <see cref="EndpointState.Latency"/>, in milliseconds.</summary>
    public static ScalingMetric AverageLatencyMilliseconds { get; } = new(nameof(AverageLatencyMilliseconds), ScalingMetricKind.Latency, null);

    /// <summary>A metric the application measures, like a custom CloudWatch metric.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="read">Returns the current value, or <see langword="null"/> when there is none (missing data). Called on each tick.</param>
    public static ScalingMetric Custom(string name, Func<double?> read)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(read);
        return new ScalingMetric(name, ScalingMetricKind.Custom, read);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
