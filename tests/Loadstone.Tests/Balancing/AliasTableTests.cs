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
}
