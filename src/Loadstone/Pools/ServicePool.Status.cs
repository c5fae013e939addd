namespace Loadstone;

/// <summary>The pool's explain view, and what the send loop asks of its candidates on failure and hedge paths.</summary>
public sealed partial class ServicePool
{
    /// <summary>
    /// A point-in-time view of every endpoint: state, reason, in-flight requests, counters, latency and slow-start
    /// weight, for dashboards, health endpoints and tests.
    /// </summary>
    public ServicePoolStatus GetStatus()
    {
        var snapshot = _snapshot;
        var (now, timestamp, interval) = (TimeProvider.GetUtcNow(), TimeProvider.GetTimestamp(), Options.HealthChecks.Passive.Interval);
        var endpoints = new EndpointStatus[snapshot.All.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var s = snapshot.All[i];
            endpoints[i] = EndpointStatusView.Of(s, snapshot, i < snapshot.MemberCount, now, timestamp, interval, TimeProvider);
        }

        return new ServicePoolStatus(ServiceName, snapshot.StrategyName, snapshot.FailOpen, endpoints);
    }

    /// <summary>
    /// Whether a candidate of <paramref name="filter"/> is neither in <paramref name="tried"/> nor to be avoided (being
    /// ejected, or under a Retry-After): where a requeue or a hedge may go. A scan; only failure and hedge paths ask.
    /// </summary>
    internal bool HasUntried(EndpointFilter? filter, in TriedEndpoints tried)
    {
        var candidates = _snapshot.GetPipeline(filter).Candidates;
        var now = TimeProvider.GetTimestamp();
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!tried.Contains(candidates[i]) && !candidates[i].ShouldAvoid(now))
            {
                return true;
            }
        }

        return false;
    }
}
