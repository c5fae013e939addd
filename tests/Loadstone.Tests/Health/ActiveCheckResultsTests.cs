namespace Loadstone.Tests.Health;

/// <summary>How probe results move an endpoint's active-check state, one result at a time.</summary>
public sealed class ActiveCheckResultsTests
{
    private static readonly ActiveHealthCheckOptions Options = new() { Enabled = true, HealthyThreshold = 3, UnhealthyThreshold = 2 };

    private static EndpointState NewState(bool checksEnabled = true)
    {
        var state = new EndpointState(new LoadBalancedEndpoint("http://10.0.0.1:8080"), TimeProvider.System, TimeSpan.FromSeconds(10), TimeSpan.Zero);
        ActiveCheckResults.Initialize(state, checksEnabled);
        return state;
    }

    [Fact]
    public void Initialize_ChecksOnOrOff_InitialOrUnchecked()
    {
        Assert.Equal((EndpointHealth.Initial, EndpointHealthReason.InitialHealthChecking), (NewState().ActiveHealth, NewState().ActiveReason));
        var off = NewState(checksEnabled: false);
        Assert.Equal((EndpointHealth.Unchecked, EndpointHealthReason.HealthChecksDisabled), (off.ActiveHealth, off.ActiveReason));
    }

    [Fact]
    public void Record_NewEndpointFirstPass_HealthyAtOnce()
    {
        var state = NewState();

        ActiveCheckResults.Record(state, passed: true, EndpointHealthReason.None, Options);

        Assert.Equal((EndpointHealth.Healthy, EndpointHealthReason.None), (state.ActiveHealth, state.ActiveReason));
    }

    [Fact]
    public void Record_FailuresBelowThreshold_StaysHealthyThenUnhealthyWithTheLastReason()
    {
        var state = NewState();
        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);

        ActiveCheckResults.Record(state, false, EndpointHealthReason.Timeout, Options);
        Assert.Equal(EndpointHealth.Healthy, state.ActiveHealth);
        ActiveCheckResults.Record(state, false, EndpointHealthReason.ResponseCodeMismatch, Options);
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.ResponseCodeMismatch), (state.ActiveHealth, state.ActiveReason));
        ActiveCheckResults.Record(state, false, EndpointHealthReason.ConnectionFailure, Options);
        Assert.Equal(EndpointHealthReason.ConnectionFailure, state.ActiveReason); // the reason follows the latest failure
    }

    [Fact]
    public void Record_UnhealthyThenPasses_HealthyOnlyAfterTheThresholdInARow()
    {
        var state = NewState();
        ActiveCheckResults.Record(state, false, EndpointHealthReason.Timeout, Options);
        ActiveCheckResults.Record(state, false, EndpointHealthReason.Timeout, Options);
        Assert.Equal(EndpointHealth.Unhealthy, state.ActiveHealth);

        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);
        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);
        ActiveCheckResults.Record(state, false, EndpointHealthReason.Timeout, Options); // the streak breaks
        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);
        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);
        Assert.Equal(EndpointHealth.Unhealthy, state.ActiveHealth);

        ActiveCheckResults.Record(state, true, EndpointHealthReason.None, Options);
        Assert.Equal((EndpointHealth.Healthy, EndpointHealthReason.None), (state.ActiveHealth, state.ActiveReason));
    }

    [Fact]
    public void Record_InitialEndpointFailsBelowThreshold_StaysInitial()
    {
        var state = NewState();

        ActiveCheckResults.Record(state, false, EndpointHealthReason.Timeout, Options);

        Assert.Equal((EndpointHealth.Initial, EndpointHealthReason.InitialHealthChecking), (state.ActiveHealth, state.ActiveReason));
    }

    [Theory]
    [InlineData(true, EndpointHealth.Healthy, EndpointHealthReason.None)]
    [InlineData(false, EndpointHealth.Unchecked, EndpointHealthReason.HealthChecksDisabled)]
    public void Switch_ChecksTurnedOnOrOff_EveryEndpointAndItsStreaksReset(bool enabled, EndpointHealth health, EndpointHealthReason reason)
    {
        var states = new[] { NewState(), NewState() };
        states[0].ProbeFailures = 1;
        states[1].ProbeSuccesses = 1;

        ActiveCheckResults.Switch(states, enabled);

        Assert.All(states, s => Assert.Equal((health, reason, 0, 0), (s.ActiveHealth, s.ActiveReason, s.ProbeFailures, s.ProbeSuccesses)));
    }
}
