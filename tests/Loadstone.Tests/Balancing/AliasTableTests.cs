namespace Loadstone.Tests.Balancing;

/// <summary>The weighted draw two-choice strategies use when weights differ.</summary>
public sealed class AliasTableTests
{
    [Fact]
    public void Sample_FollowsTheWeights()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 5, 1, 2, 3, 10);
        var table = AliasTable.For(pool.Snapshot.Candidates)!;
        var random = new Random(11);
        var counts = new int[4];
        for (var i = 0; i < 160_000; i++)
        {
            counts[table.Sample(random)]++;
        }

        Assert.True(Picks.ChiSquare(counts, [1, 2, 3, 10]) < Picks.ChiSquareCritical001(3), string.Join(",", counts));
    }

    [Fact]
    public void SampleOther_NeverTheOneGiven()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 5, 1, 100);
        var table = AliasTable.For(pool.Snapshot.Candidates)!;
        var random = new Random(3);

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal(0, table.SampleOther(random, 1)));
    }

    [Fact]
    public void For_UniformWeights_NoTable()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 5, 2, 2, 2);

        Assert.Null(AliasTable.For(pool.Snapshot.Candidates));
    }

    [Theory]
    [InlineData(new[] { 3, 3, 1, 1 })] // two heavy columns: a heavy one gives part of itself away and becomes light
    [InlineData(new[] { 1, 3, 10 })] // rounding leaves the heaviest a hair below one column: it must still fill it
    public void Sample_WeightsNeedingEveryStepOfTheConstruction_FollowsTheWeights(int[] weights)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 5, weights);
        var table = AliasTable.For(pool.Snapshot.Candidates)!;
        var random = new Random(17);
        var counts = new int[weights.Length];
        for (var i = 0; i < 160_000; i++)
        {
            counts[table.Sample(random)]++;
        }

        var shares = weights.Select(w => (double)w).ToArray();
        Assert.True(Picks.ChiSquare(counts, shares) < Picks.ChiSquareCritical001(weights.Length - 1), string.Join(",", counts));
    }

    [Fact]
    public void SampleOther_HeavyOtherGiven_WeightedForFourDrawsThenUniform()
    {
        // Weights 100, 1, 3 and the heavy one excluded: each weighted draw misses (hits it) with q = 100/104. A hit within
        // four draws follows the weights (1 : 3); after four misses the draw is uniform (1 : 1), which bounds its cost.
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 5, 100, 1, 3);
        var table = AliasTable.For(pool.Snapshot.Candidates)!;
        var random = new Random(23);
        const int Draws = 400_000;
        var counts = new int[3];
        for (var i = 0; i < Draws; i++)
        {
            counts[table.SampleOther(random, 0)]++;
        }

        var fallback = Math.Pow(100d / 104, 4);
        var expected = ((1 - fallback) * 0.25) + (fallback * 0.5);
        var sigma = Math.Sqrt(expected * (1 - expected) / Draws);
        Assert.Equal(0, counts[0]);
        Assert.InRange((double)counts[1] / Draws, expected - (5 * sigma), expected + (5 * sigma));
    }
}
