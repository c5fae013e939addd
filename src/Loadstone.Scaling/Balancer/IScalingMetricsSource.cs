namespace Loadstone.Scaling;

/// <summary>
/// The balancers' view of a group's instances: the figures behind the built-in metrics
/// (<see cref="ScalingMetric.AverageInFlightRequests"/>, <see cref="ScalingMetric.RequestsPerInstancePerMinute"/>,
/// <see cref="ScalingMetric.AverageLatencyMilliseconds"/>) and whether a terminating instance is still held by a
/// balancer. The default source is the pool given to <see cref="ScalingGroup.AttachPool"/> (this client's view); a group
/// shared by a fleet reads the fleet's (<see cref="FleetLoadAggregator"/>).
/// </summary>
/// <remarks>Called under the group's lock on its reconcile timer: keep both methods cheap and non-blocking.</remarks>
public interface IScalingMetricsSource
{
    /// <summary>The figures of every endpoint balancers route to (draining ones left out), by <see cref="LoadBalancedEndpoint.Id"/>.</summary>
    /// <returns>The figures now; empty when there are none (the built-in metrics are then missing data).</returns>
    IReadOnlyDictionary<string, EndpointLoad> ReadLoad();

    /// <summary>
    /// Whether a balancer may still hold the endpoint (route to it or drain it). The group stops a terminating instance
    /// only once no balancer holds it.
    /// </summary>
    /// <param name="endpointId">The endpoint's <see cref="LoadBalancedEndpoint.Id"/>.</param>
    /// <param name="since">When the endpoint left the group's endpoints: a view older than that cannot say it is gone.</param>
    bool Holds(string endpointId, DateTimeOffset since);
}
