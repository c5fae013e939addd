using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Pools;

/// <summary>
/// Why a pick found no candidate (<see cref="NoAvailableEndpointException.Reason"/>): every endpoint draining, weight 0
/// only where every matching endpoint has it, and a scheme preference matching an endpoint by any of its schemes.
/// </summary>
public sealed class PoolSnapshotReasonTests
{
    [Fact]
    public async Task Acquire_EveryEndpointDraining_ThrowsAllDraining()
    {
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(Fake(0))]) { AllowsEmpty = true }; // the service really has no instances left
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Sources.Add(source);
        using var pool = setup.Create("reason-draining");
        await pool.InitializeAsync();
        var lease = pool.Acquire();

        source.Update([]);
        WaitFor(() => pool.Endpoints[0].Health == EndpointHealth.Draining, "the endpoint to drain");

        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());
        Assert.Equal(NoAvailableEndpointReason.AllDraining, ex.Reason);
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task Acquire_OneWeightZeroAndTheOtherEjected_ThrowsAllUnhealthyNotAllWeightsZero()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Options.Endpoints.Add(Fake(0), weight: 0);
        setup.Options.Endpoints.Add(Fake(1));
        setup.Options.HealthChecks.FailOpen.Enabled = false;
        setup.Options.HealthChecks.Passive.MaxEjectionPercent = 100;
        using var pool = setup.Create("reason-weights");
        await pool.InitializeAsync();

        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ServerError, 5);
        Assert.Equal(EndpointHealth.Unhealthy, pool.Endpoints[1].Health);

        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());
        Assert.Equal(NoAvailableEndpointReason.AllUnhealthy, ex.Reason);
    }

    [Fact]
    public async Task AcquireAttempt_SchemePreferenceMatchesByItsSecondScheme_ExplainsByWeightNotByMatch()
    {
        // https+http: an http endpoint matches the request (its second choice), so an empty pick is explained by its
        // weight of 0, not as "no endpoint matches".
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Options.Endpoints.Add(Fake(0), weight: 0);
        using var pool = setup.Create("reason-schemes");
        await pool.InitializeAsync();
        var filter = new EndpointFilter(null, ["https", "http"]);

        var ex = Assert.Throws<NoAvailableEndpointException>(() =>
        {
            var context = new PickContext(null);
            pool.AcquireAttempt(filter, ref context, default);
        });

        Assert.Equal(NoAvailableEndpointReason.AllWeightsZero, ex.Reason);
    }
}
