namespace Loadstone.Tests.Balancing;

public sealed class PowerOfTwoChoicesStrategyTests
{
    [Fact]
    public void Acquire_NoLoad_NearUniform()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1, 1, 1, 1);

        var counts = Picks.Count(pool, 40_000);

        Assert.True(Picks.ChiSquare(counts, [1, 1, 1, 1]) < Picks.ChiSquareCritical001(3), string.Join(",", counts));
    }

    [Fact]
    public void Acquire_OneEndpointWithManyOpenLeases_LosesEveryComparison()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1, 1, 1, 1);
        var held = Load.Hold(pool, 2, 10);

        var counts = Picks.Count(pool, 30_000);

        // Two distinct choices: the loaded endpoint always meets an idle one and loses; the rest share evenly.
        Assert.Equal(0, counts[2]);
        Assert.True(Picks.ChiSquare([counts[0], counts[1], counts[3]], [1, 1, 1]) < Picks.ChiSquareCritical001(2), string.Join(",", counts));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_LeasesKeptOpen_InFlightStaysClose()
    {
        // 800 requests held open on 8 endpoints: two choices keep every endpoint within a few of the mean of 100,
        // where one random choice (the contrast, same seed) leaves a spread of tens.
        var twoChoices = SpreadOfInFlight(LoadBalancingStrategies.PowerOfTwoChoices);
        var oneChoice = SpreadOfInFlight(LoadBalancingStrategies.Random);

        Assert.True(twoChoices <= 8, $"spread {twoChoices}");
        Assert.True(oneChoice > 8, $"spread {oneChoice}");
    }

    private static int SpreadOfInFlight(string strategy)
    {
        using var pool = Picks.Pool(strategy, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        var held = new List<EndpointLease>();
        for (var i = 0; i < 800; i++)
        {
            held.Add(pool.Acquire());
        }

        var active = pool.Endpoints.Select(e => e.ActiveRequests).ToArray();
        Load.CompleteAll(held);
        return active.Max() - active.Min();
    }

    [Fact]
    public void Acquire_SingleEndpoint_AlwaysIt()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1);

        Assert.Equal([50], Picks.Count(pool, 50));
    }
}
