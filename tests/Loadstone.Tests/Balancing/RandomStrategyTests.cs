namespace Loadstone.Tests.Balancing;

public sealed class RandomStrategyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Acquire_Weights1234_FitsWeightsByChiSquare(int seed)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, seed, 1, 2, 3, 4);

        var counts = Picks.Count(pool, 100_000);

        Assert.True(Picks.ChiSquare(counts, [1, 2, 3, 4]) < Picks.ChiSquareCritical001(3), string.Join(",", counts));

        // The same counts are far from a uniform spread, so the test tells weights apart from no weights.
        Assert.True(Picks.ChiSquare(counts, [1, 1, 1, 1]) > 1000, string.Join(",", counts));
    }

    [Fact]
    public void Acquire_EqualWeights_FitsUniformByChiSquare()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, 7, 3, 3, 3, 3, 3);

        var counts = Picks.Count(pool, 50_000);

        Assert.True(Picks.ChiSquare(counts, [1, 1, 1, 1, 1]) < Picks.ChiSquareCritical001(4), string.Join(",", counts));
    }

    [Fact]
    public void Acquire_WeightZeroBetweenOthers_NeverPickedAndRestFitWeights()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, 11, 2, 0, 1);

        var counts = Picks.Count(pool, 30_000);

        Assert.Equal(0, counts[1]);
        Assert.True(Picks.ChiSquare([counts[0], counts[2]], [2, 1]) < Picks.ChiSquareCritical001(1), string.Join(",", counts));
    }

    [Fact]
    public void Acquire_SameSeed_SameSequence()
    {
        using var first = Picks.Pool(LoadBalancingStrategies.Random, 42, 1, 2, 3);
        using var second = Picks.Pool(LoadBalancingStrategies.Random, 42, 1, 2, 3);

        Assert.Equal(Picks.Sequence(first, 200), Picks.Sequence(second, 200));
    }
}
