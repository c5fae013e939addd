namespace Loadstone;

/// <summary>
/// How probe results move an endpoint's active-check state, like an ALB target's: a new endpoint is healthy on its first
/// passing probe; <see cref="ActiveHealthCheckOptions.UnhealthyThreshold"/> failures in a row make it unhealthy, and
/// <see cref="ActiveHealthCheckOptions.HealthyThreshold"/> passes in a row bring it back. Control plane only.
/// </summary>
internal static class ActiveCheckResults
{
    /// <summary>The active-check state a new endpoint starts in.</summary>
    public static void Initialize(EndpointState state, bool checksEnabled)
    {
        state.ActiveHealth = checksEnabled ? EndpointHealth.Initial : EndpointHealth.Unchecked;
        state.ActiveReason = checksEnabled ? EndpointHealthReason.InitialHealthChecking : EndpointHealthReason.HealthChecksDisabled;
    }

    /// <summary>Records one probe result.</summary>
    /// <param name="state">The endpoint probed.</param>
    /// <param name="passed">Whether the probe passed.</param>
    /// <param name="failure">Why it failed, when it did.</param>
    /// <param name="options">The active-check options in force.</param>
    public static void Record(EndpointState state, bool passed, EndpointHealthReason failure, ActiveHealthCheckOptions options)
    {
        var before = state.ActiveHealth;
        if (passed)
        {
            state.ProbeFailures = 0;
            state.ProbeSuccesses++;
            if (before == EndpointHealth.Initial
                || (before == EndpointHealth.Unhealthy && state.ProbeSuccesses >= options.HealthyThreshold))
            {
                state.ActiveHealth = EndpointHealth.Healthy;
                state.ActiveReason = EndpointHealthReason.None;
            }

            return;
        }

        state.ProbeSuccesses = 0;
        state.ProbeFailures++;
        if (before != EndpointHealth.Unhealthy && state.ProbeFailures >= options.UnhealthyThreshold)
        {
            state.ActiveHealth = EndpointHealth.Unhealthy;
        }

        if (state.ActiveHealth == EndpointHealth.Unhealthy)
        {
            state.ActiveReason = failure;
        }
    }

    /// <summary>
    /// Active checks were switched on or off by a reload. Switched on, endpoints keep their traffic until probes say
    /// otherwise; switched off, every endpoint is <see cref="EndpointHealth.Unchecked"/>.
    /// </summary>
    public static void Switch(IEnumerable<EndpointState> states, bool enabled)
    {
        foreach (var state in states)
        {
            state.ProbeSuccesses = state.ProbeFailures = 0;
            state.ActiveHealth = enabled ? EndpointHealth.Healthy : EndpointHealth.Unchecked;
            state.ActiveReason = enabled ? EndpointHealthReason.None : EndpointHealthReason.HealthChecksDisabled;
        }
    }
}
