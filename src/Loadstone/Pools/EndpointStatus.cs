namespace Loadstone;

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
/// <param name="IsRoutable">
/// Whether new requests may go to it: a member with a weight above 0 that is healthy, or not healthy but in a pool (or a
/// zone) that fails open. A routable endpoint under a Retry-After is still avoided while another candidate exists.
/// </param>
/// <param name="Note">Why it is routable although something is wrong, why outlier detection left it in, or why picks avoid it.</param>
/// <param name="RetryAfterUntil">Until when picks avoid it because it sent <c>Retry-After</c>; <see langword="null"/> when not.</param>
/// <param name="RecentFailureRate">The share of its recent attempts that failed (see <see cref="EndpointState.RecentFailureRate"/>).</param>
public readonly record struct EndpointStatus(
    LoadBalancedEndpoint Endpoint,
    EndpointHealth Health,
    EndpointHealthReason Reason,
    int ActiveRequests,
    long TotalRequests,
    long FailedRequests,
    TimeSpan Latency,
    double WeightFactor,
    int Ejections,
    DateTimeOffset? EjectedUntil,
    bool IsRoutable = false,
    EndpointRoutingNote Note = EndpointRoutingNote.None,
    DateTimeOffset? RetryAfterUntil = null,
    double RecentFailureRate = 0);
