namespace Loadstone.Scaling;

/// <summary>
/// What balancers measured of one endpoint: the requests in flight now, the requests completed per minute, and the
/// latency. For one client it is its pool's view; a <see cref="FleetLoadAggregator"/> adds up the views of a fleet.
/// </summary>
/// <param name="InFlightRequests">Requests in flight (<see cref="EndpointState.ActiveRequests"/>), summed over clients.</param>
/// <param name="RequestsPerMinute">
/// Requests completed per minute (from the growth of <see cref="EndpointState.TotalRequests"/>), summed over clients;
/// <see langword="null"/> when no rate is known yet (a first measurement).
/// </param>
/// <param name="LatencyMilliseconds">
/// The latency (<see cref="EndpointState.Latency"/>), in milliseconds; over several clients, their average weighted by
/// each one's request rate.
/// </param>
public readonly record struct EndpointLoad(double InFlightRequests, double? RequestsPerMinute, double LatencyMilliseconds);
