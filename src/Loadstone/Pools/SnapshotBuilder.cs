namespace Loadstone;

/// <summary>
/// Builds a pool's snapshot from its members: each member's health (an ejection wins over active checks), slow-start
/// ramps, fail-open (of the pool, and of each zone when zones are routed per zone), and the pick pipelines of the
/// routable candidates. Control plane only.
/// </summary>
internal static class SnapshotBuilder
{
    /// <param name="members">The members in order, from <see cref="Membership.Update"/>.</param>
    /// <param name="draining">The draining endpoints.</param>
    /// <param name="now">The pool's time.</param>
    /// <param name="options">The pool's options.</param>
    /// <param name="stages">What pipelines are made of.</param>
    /// <param name="knownFilters">Filters whose pipelines to prepare now.</param>
    /// <param name="subsets">The subsetting stage, or null when subsetting is off.</param>
    public static PoolSnapshot Build(List<EndpointState> members, IReadOnlyList<EndpointState> draining, DateTimeOffset now,
        LoadBalancingOptions options, PickStages stages, IEnumerable<EndpointFilter> knownFilters, SubsetSelector? subsets = null)
    {
        var newlyRoutable = EvaluateHealth(members);
        SlowStart.Advance(members, newlyRoutable, now, options.SlowStart);
        foreach (var state in newlyRoutable)
        {
            state.SkipsFirstSlowStart = false;
        }

        var healthy = members.Count(s => s.IsRoutable);
        var failOpen = options.HealthChecks.FailOpen;
        var poolFailsOpen = failOpen.Enabled && FailOpen.IsBreached(members.Count, healthy, failOpen);
        var failingZones = FailOpen.MarkFailingOpenZones(members, failOpen, options.Zones.Mode == ZoneRoutingMode.PerZone && !poolFailsOpen);
        var all = new EndpointState[members.Count + draining.Count];
        members.CopyTo(all);
        for (var i = 0; i < draining.Count; i++)
        {
            all[members.Count + i] = draining[i];
        }

        return new PoolSnapshot(all, members.Count, healthy, stages, poolFailsOpen, knownFilters, Subset(members, subsets))
        {
            FailingOpenZones = failingZones,
        };
    }

    /// <summary>Which members are in this client's subset (by member index), or null when subsetting is off.</summary>
    private static bool[]? Subset(List<EndpointState> members, SubsetSelector? subsets)
    {
        if (subsets is null || members.Count == 0)
        {
            return null;
        }

        var endpoints = new LoadBalancedEndpoint[members.Count];
        var routable = new bool[members.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = members[i].Endpoint;
            routable[i] = members[i].IsRoutable;
        }

        // An unhealthy member of the window is replaced by the next healthy endpoint while it is out, then handed back.
        var indices = new int[members.Count];
        var count = subsets.Select(endpoints, routable, indices);
        var inSubset = new bool[members.Count];
        foreach (var index in indices.AsSpan(0, count))
        {
            inSubset[index] = true;
        }

        return inSubset;
    }

    /// <summary>Sets each member's health from ejections and active checks.</summary>
    /// <returns>The members that became routable.</returns>
    private static List<EndpointState> EvaluateHealth(List<EndpointState> members)
    {
        var newlyRoutable = new List<EndpointState>();
        foreach (var state in members)
        {
            if (state.EjectedUntil is not null)
            {
                state.Health = EndpointHealth.Unhealthy;
                state.HealthReason = state.EjectionReason;
            }
            else
            {
                state.Health = state.ActiveHealth;
                state.HealthReason = state.ActiveReason;
            }

            if (!state.IsRoutable)
            {
                // Out of traffic: no ramp to resume later, and no reduced weight left behind.
                state.SlowStartSince = null;
                state.WeightFactor = 1;
                state.WasRoutable = false;
                state.SkipsFirstSlowStart &= state.Health != EndpointHealth.Unhealthy;
            }
            else if (!state.WasRoutable)
            {
                newlyRoutable.Add(state);
                state.WasRoutable = true;
            }
        }

        return newlyRoutable;
    }
}
