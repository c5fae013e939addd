namespace Loadstone;

/// <summary>
/// Slow start, as an ALB target group's with Envoy's curve: an endpoint that becomes routable enters it only if another
/// routable endpoint is not in slow start (so endpoints that start together do not), and its weight factor ramps as
/// max(minimum, (t / window)^(1 / aggression)) until the window ends. Control plane only.
/// </summary>
internal static class SlowStart
{
    /// <summary>Starts, advances and ends the ramps of a pool's members.</summary>
    /// <param name="members">The members, with their health for this snapshot.</param>
    /// <param name="newlyRoutable">Members that became routable in this snapshot.</param>
    /// <param name="now">The pool's time.</param>
    /// <param name="options">The slow-start options.</param>
    public static void Advance(List<EndpointState> members, List<EndpointState> newlyRoutable, DateTimeOffset now, SlowStartOptions options)
    {
        if (options.Window <= TimeSpan.Zero)
        {
            return;
        }

        var settled = members.Any(s => s.IsRoutable && s.SlowStartSince is null && !newlyRoutable.Contains(s));
        if (settled)
        {
            foreach (var state in newlyRoutable)
            {
                state.SlowStartSince = state.SkipsFirstSlowStart ? null : now;
            }
        }

        foreach (var state in members)
        {
            if (state.SlowStartSince is { } since)
            {
                var factor = Factor(now - since, options);
                state.WeightFactor = factor;
                if (factor >= 1)
                {
                    state.SlowStartSince = null;
                }
            }
        }
    }

    /// <summary>The weight factor after <paramref name="elapsed"/> of the window: from the minimum share up to 1.</summary>
    public static double Factor(TimeSpan elapsed, SlowStartOptions options)
    {
        var progress = elapsed / options.Window;
        return progress >= 1
            ? 1
            : Math.Max(options.MinimumWeightPercent / 100d, Math.Pow(Math.Max(progress, 0), 1 / options.Aggression));
    }
}
