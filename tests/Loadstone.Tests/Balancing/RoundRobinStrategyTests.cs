namespace Loadstone.Tests.Balancing;

public sealed class RoundRobinStrategyTests
{
    [Fact]
    public void Acquire_FourEndpoints_VisitsEachOncePerCycleInOrder()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.RoundRobin, 1, 1, 1, 1, 1);

        var sequence = Picks.Sequence(pool, 400);

        for (var i = 0; i < sequence.Length; i++)
        {
            Assert.Equal((sequence[0] + i) % 4, sequence[i]);
        }

        Assert.Equal([100, 100, 100, 100], Picks.Histogram(sequence, 4));
    }

    [Fact]
    public void Acquire_UnequalWeights_IgnoresWeights()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.RoundRobin, 1, 1, 5, 10);

        Assert.Equal([100, 100, 100], Picks.Count(pool, 300));
    }

    [Fact]
    public void Acquire_WeightZeroEndpoint_SkippedAndOthersShareEqually()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.RoundRobin, 1, 1, 0, 1);

        Assert.Equal([100, 0, 100], Picks.Count(pool, 200));
    }

    [Fact]
    public void Acquire_OpenLeases_DoNotChangeTheTurn()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.RoundRobin, 1, 1, 1, 1);
        var held = Load.Hold(pool, 0, 10);

        Assert.Equal([100, 100, 100], Picks.Count(pool, 300));
        Load.CompleteAll(held);
    }
}
