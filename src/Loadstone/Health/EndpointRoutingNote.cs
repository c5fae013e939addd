namespace Loadstone;

/// <summary>
/// What the status view adds to an endpoint's state and reason: why it is routable although something is wrong with it,
/// why outlier detection left it in, or why picks avoid it although it is healthy. See <see cref="EndpointStatus.Note"/>.
/// </summary>
public enum EndpointRoutingNote
{
    /// <summary>Nothing to add: the state and reason say it all.</summary>
    None,

    /// <summary>Routable although not healthy: the pool is failing open (too few healthy endpoints), so it routes to all.</summary>
    PoolFailingOpen,

    /// <summary>Routable although not healthy: its zone is failing open on its own (per-zone routing, too few healthy endpoints in the zone).</summary>
    ZoneFailingOpen,

    /// <summary>
    /// Routable: an outlier rule fired within the last interval, but <see cref="OutlierDetectionOptions.MaxEjectionPercent"/>
    /// of the pool was already ejected. Outlier detection tries again after the next streak or interval.
    /// </summary>
    EjectionRefusedMaxEjectionPercent,

    /// <summary>
    /// Routable: it refuses connections and an outlier rule fired within the last interval, but ejecting it would have left
    /// fewer healthy endpoints than the fail-open thresholds ask for.
    /// </summary>
    EjectionRefusedFailOpenThreshold,

    /// <summary>
    /// Routable: outlier detection found it an outlier within the last interval but did not enforce the ejection
    /// (<see cref="OutlierDetectionOptions.EnforcingPercent"/>: detect and report only).
    /// </summary>
    OutlierNotEnforced,

    /// <summary>Ejected although <see cref="OutlierDetectionOptions.MaxEjectionPercent"/> was reached: it refuses connections, and enough endpoints stay healthy.</summary>
    EjectedBeyondMaxEjectionPercent,

    /// <summary>Avoided by picks until <see cref="EndpointStatus.RetryAfterUntil"/>: it answered 429 or 503 with <c>Retry-After</c>.</summary>
    RetryAfter,

    /// <summary>
    /// Routable, but its last attempt failed, or at least half of its recent ones did
    /// (<see cref="EndpointStatus.RecentFailureRate"/> of 0.5 or more): load-aware strategies send it little until it
    /// answers again, and outlier detection ejects it once a streak reaches a threshold.
    /// </summary>
    RecentlyFailing,
}
