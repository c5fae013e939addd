using Microsoft.Extensions.Time.Testing;
namespace Loadstone.Tests.Balancing;

public sealed class LeastRequestsStrategyTests
{
    [Fact]
    public void Acquire_UnequalInFlight_AlwaysPicksTheLeastLoaded()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 1, 1, 1, 1, 1);
        var held = Load.Hold(pool, 0, 3).Concat(Load.Hold(pool, 1, 1)).Concat(Load.Hold(pool, 2, 2)).ToList();

        Assert.Equal([0, 0, 0, 200], Picks.Count(pool, 200));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_LeasesKeptOpen_InFlightStaysLevel()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 1, 1, 1, 1, 1);
        var held = new List<EndpointLease>();

        for (var i = 0; i < 100; i++)
        {
            held.Add(pool.Acquire());
            var active = pool.Endpoints.Select(e => e.ActiveRequests).ToArray();
            Assert.True(active.Max() - active.Min() <= 1, string.Join(",", active));
        }

        Assert.All(pool.Endpoints, e => Assert.Equal(25, e.ActiveRequests));
        Load.CompleteAll(held);
        Assert.All(pool.Endpoints, e => Assert.Equal(0, e.ActiveRequests));
    }

    [Fact]
    public void Acquire_Weights1And2And3LeasesKeptOpen_InFlightFollowsWeights()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 1, 1, 2, 3);
        var held = new List<EndpointLease>();

        for (var i = 0; i < 60; i++)
        {
            held.Add(pool.Acquire());
        }

        Assert.Equal([10, 20, 30], pool.Endpoints.Select(e => e.ActiveRequests));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_WeightedLoad_ComparesInFlightPerUnitOfWeight()
    {
        // (in-flight + 1) / weight: 4/1 = 4, 6/2 = 3, 7/3 = 2.33: the heaviest wins though it has the most in flight.
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 1, 1, 2, 3);
        var held = Load.Hold(pool, 0, 3).Concat(Load.Hold(pool, 1, 5)).Concat(Load.Hold(pool, 2, 6)).ToList();

        Assert.Equal([0, 0, 100], Picks.Count(pool, 100));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_AllIdle_TiesBrokenUniformly()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 5, 1, 1, 1, 1);

        var counts = Picks.Count(pool, 40_000);

        Assert.True(Picks.ChiSquare(counts, [1, 1, 1, 1]) < Picks.ChiSquareCritical001(3), string.Join(",", counts));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 2)]
    [InlineData(0, 3)]
    public void Acquire_TwoLoadedTwoIdle_IdleOnesShareUniformly(int loadedA, int loadedB)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 9, 1, 1, 1, 1);
        var held = Load.Hold(pool, loadedA, 5).Concat(Load.Hold(pool, loadedB, 5)).ToList();
        var idle = Enumerable.Range(0, 4).Except([loadedA, loadedB]).ToArray();

        var counts = Picks.Count(pool, 20_000);

        Assert.Equal(0, counts[loadedA] + counts[loadedB]);
        Assert.True(Picks.ChiSquare([counts[idle[0]], counts[idle[1]]], [1, 1]) < Picks.ChiSquareCritical001(1), string.Join(",", counts));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_IdleEndpointsWithDifferentFailureRates_OnlyTheLeastFailingShare()
    {
        // One failure gives endpoint 0 a recent failure rate of 0.5: idle like the others, yet more loaded. The tie is
        // between 1 and 2 alone, uniformly; 0 must not count in it. (A manual clock: no decay of the rate meanwhile.)
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 5, time, 1, 1, 1);
        new EndpointLease(pool.Endpoints[0], time).Complete(RequestOutcome.ServerError);

        var counts = Picks.Count(pool, 20_000);

        Assert.Equal(0, counts[0]);
        Assert.True(Picks.ChiSquare([counts[1], counts[2]], [1, 1]) < Picks.ChiSquareCritical001(1), string.Join(",", counts));
    }

    [Fact]
    public void Acquire_SingleLeastLoadedAfterOthersWithItsInFlightCount_AlwaysIt()
    {
        // Loads 1/1, 2/10 and 1/100: endpoint 2 alone has the least load. Endpoint 0 has its in-flight count (0) but not
        // its load, so it is no tie and never picked.
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 5, 1, 10, 100);
        var held = Load.Hold(pool, 1, 1);

        Assert.Equal([0, 0, 5_000], Picks.Count(pool, 5_000));
        Load.CompleteAll(held);
    }
}
