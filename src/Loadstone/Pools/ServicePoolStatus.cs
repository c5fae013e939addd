namespace Loadstone;

/// <summary>A point-in-time view of a pool, from <see cref="ServicePool.GetStatus"/>.</summary>
/// <param name="ServiceName">The logical service.</param>
/// <param name="Strategy">The strategy in use.</param>
/// <param name="IsFailingOpen">Whether the pool routes to all endpoints because too few are healthy.</param>
/// <param name="Endpoints">Every endpoint: members in source order, then draining ones.</param>
public sealed record ServicePoolStatus(string ServiceName, string Strategy, bool IsFailingOpen, IReadOnlyList<EndpointStatus> Endpoints);

/// <summary>One endpoint's state at a point in time.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Health">Its state.</param>
/// <param name="Reason">Why it is in that state.</param>
/// <param name="ActiveRequests">Requests in flight.</param>
/// <param name="TotalRequests">Requests completed since it joined (caller cancellations excepted).</param>
/// <param name="FailedRequests">Of those, failures.</param>
/// <param name="Latency">The peak-EWMA latency.</param>
/// <param name="WeightFactor">The slow-start multiplier of its weight, 0 to 1 (1 outside slow start).</param>
/// <param name="Ejections">How many times outlier detection has ejected it.</param>
/// <param name="EjectedUntil">When the current ejection ends; <see langword="null"/> when not ejected.</param>
public readonly record struct EndpointStatus(
    Endpoint Endpoint,
    EndpointHealth Health,
    EndpointHealthReason Reason,
    int ActiveRequests,
    long TotalRequests,
    long FailedRequests,
    TimeSpan Latency,
    double WeightFactor,
    int Ejections,
    DateTimeOffset? EjectedUntil);
