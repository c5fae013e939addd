using Microsoft.Extensions.Time.Testing;
using Loadstone.Tests.Balancing;

namespace Loadstone.Tests.Pools;

/// <summary>
/// The pick for a retry (a candidate not tried yet, wherever the strategy keeps pointing) and the boundaries of the
/// pool's candidate set: an empty pool is not failing open.
/// </summary>
public sealed class PickPipelineTests
{
    [Theory]
    [InlineData(new[] { 0 }, 1)]
    [InlineData(new[] { 0, 1 }, 2)]
    [InlineData(new[] { 0, 2 }, 1)]
    public void AcquireAttempt_StrategyKeepsPickingATriedEndpoint_TakesTheNextUntriedOne(int[] triedIndexes, int expected)
    {
        // First available always answers endpoint 0: asking again cannot help, so the pick walks on from it.
        using var pool = Picks.Pool(LoadBalancingStrategies.FirstAvailable, 1, 1, 1, 1, 1);
        var tried = new TriedEndpoints();
        foreach (var index in triedIndexes)
        {
            tried.Add(pool.Endpoints[index]);
        }

        var context = new PickContext(null);
        var lease = pool.AcquireAttempt(null, ref context, tried);

        Assert.Equal(expected, Picks.IndexOf(pool, lease));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public void AcquireAttempt_StrategyPicksTheLastTriedOne_WrapsAroundToTheFirst()
    {
        // A strategy that always answers the last candidate: the untried ones come after it, from the start.
        using var pool = LastStrategyPool(3);
        var tried = new TriedEndpoints();
        tried.Add(pool.Endpoints[2]);
        tried.Add(pool.Endpoints[0]);

        var context = new PickContext(null);
        var lease = pool.AcquireAttempt(null, ref context, tried);

        Assert.Equal(1, Picks.IndexOf(pool, lease));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public void AcquireAttempt_StrategyKeepsAnsweringATriedOne_AskedFourTimesThenTheWalk()
    {
        // The strategy is asked once and then three more times (a load-aware strategy may answer differently as
        // in-flight counts move); only then does the pick walk on from its first answer.
        var strategy = new LastStrategy();
        using var pool = LastStrategyPool(3, strategy);
        var tried = new TriedEndpoints();
        tried.Add(pool.Endpoints[2]);
        var before = strategy.Calls;

        var context = new PickContext(null);
        var lease = pool.AcquireAttempt(null, ref context, tried);

        Assert.Equal(4, strategy.Calls - before);
        Assert.Equal(0, Picks.IndexOf(pool, lease));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public void AcquireAttempt_EveryEndpointTried_ThePipelinesChoice()
    {
        using var pool = LastStrategyPool(3);
        var tried = new TriedEndpoints();
        foreach (var state in pool.Endpoints)
        {
            tried.Add(state);
        }

        var context = new PickContext(null);
        var lease = pool.AcquireAttempt(null, ref context, tried);

        Assert.Equal(2, Picks.IndexOf(pool, lease));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task IsFailingOpen_NoEndpointsYet_FalseAndNoEndpointsReason()
    {
        // A pool whose source has not answered has no members: nothing is unhealthy, so it is not failing open (its
        // MinimumHealthyCount of 1 would otherwise call it breached), and a pick says there are no endpoints.
        var source = new DynamicEndpointSource("registry", []);
        var setup = new PoolSetup { Time = TestClock.Create() };
        setup.Options.HealthChecks.FailOpen.MinimumHealthyCount = 1;
        setup.Sources.Add(source);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        Assert.False(pool.IsFailingOpen);
        Assert.False(pool.GetStatus().IsFailingOpen);
        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());
        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, ex.Reason);
    }

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(4, 0, true)]
    [InlineData(4, 1, false)]
    public void IsBreached_MinimumOneHealthy_OnlyAMemberlessPoolIsExempt(int members, int healthy, bool breached)
    {
        var options = new FailOpenOptions { MinimumHealthyCount = 1 };

        Assert.Equal(breached, FailOpen.IsBreached(members, healthy, options));
    }

    private static ServicePool LastStrategyPool(int endpoints, LastStrategy? strategy = null)
    {
        var options = new LoadBalancingOptions();
        for (var i = 0; i < endpoints; i++)
        {
            options.Endpoints.Add(Picks.Address(i));
        }

        return new ServicePool("svc", options, new ServicePoolDependencies { StrategyFactory = _ => strategy ?? new LastStrategy() });
    }

    private sealed class LastStrategy : ILoadBalancingStrategy
    {
        public string Name => "Last";

        public int Calls;

        public int Pick(CandidateSet candidates, HttpRequestMessage? request)
        {
            Interlocked.Increment(ref Calls);
            return candidates.Count - 1;
        }
    }
}
