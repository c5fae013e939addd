using Microsoft.Extensions.Time.Testing;
namespace Loadstone.Tests.Balancing;

/// <summary>
/// The in-flight-aware strategies with unequal weights: load is in-flight requests per unit of weight, so a heavier
/// endpoint wins a comparison it would lose on in-flight counts alone, and loses it once its share is used up.
/// </summary>
public sealed class WeightedComparisonTests
{
    [Theory]
    [InlineData(1, 1)] // (1 + 1) / 4 = 0.5 against (0 + 1) / 1 = 1: the heavier, busier endpoint wins
    [InlineData(3, 1)] // 4 / 4 = 1 against 1: equal load, and the first draw decides
    [InlineData(4, 0)] // 5 / 4 = 1.25 against 1: the idle light endpoint wins
    public void PowerOfTwoChoices_HeavierEndpointBusier_LoadIsInFlightPerUnitOfWeight(int heldOnHeavy, int expectedWinner)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1, 4);
        var held = Load.Hold(pool, 1, heldOnHeavy);

        var counts = Picks.Count(pool, 2_000);

        if (heldOnHeavy == 3)
        {
            // Equal loads: the first candidate is drawn in proportion to weight (1 : 4), and it wins.
            Assert.True(Picks.ChiSquare(counts, [1, 4]) < Picks.ChiSquareCritical001(1), string.Join(",", counts));
        }
        else
        {
            Assert.Equal(2_000, counts[expectedWinner]);
        }

        Load.CompleteAll(held);
    }

    [Fact]
    public void PowerOfTwoChoices_EqualInFlightUnequalWeights_SharesFollowTheWeights()
    {
        // One request at a time: every comparison is a tie, so the weighted first draw alone decides.
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1, 2, 5);

        var counts = Picks.Count(pool, 16_000);

        Assert.True(Picks.ChiSquare(counts, [1, 2, 5]) < Picks.ChiSquareCritical001(2), string.Join(",", counts));
    }

    [Theory]
    [InlineData(1, 1)] // cost (L + 1) × 2 / 4 against (L + 1) × 1 / 1: the heavier, busier endpoint wins
    [InlineData(4, 0)] // (L + 1) × 5 / 4 against (L + 1): the idle light endpoint wins
    public void PeakEwma_EqualLatencyUnequalInFlight_CostDividesByWeight(int heldOnHeavy, int expectedWinner)
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 3, time, 1, 4);
        var held = Load.Hold(pool, 1, heldOnHeavy);

        // The clock does not move: every lease takes no time, which moves no latency (an observation's weight grows with
        // the time since the last one), so both latencies stay the initial one and only in-flight per weight differs.
        var counts = Picks.Count(pool, 500);

        Assert.Equal(500, counts[expectedWinner]);
        Load.CompleteAll(held);
    }

    [Fact]
    public void PeakEwma_EqualInFlightAndLatency_SharesFollowTheWeights()
    {
        // Equal in-flight counts leave the weights out of the cost (they already decided the draw): with equal latencies
        // (a frozen clock moves none) the costs tie and the first candidate, drawn in proportion to weight, wins.
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 3, time, 1, 3);

        var counts = Picks.Count(pool, 8_000);

        Assert.True(Picks.ChiSquare(counts, [1, 3]) < Picks.ChiSquareCritical001(1), string.Join(",", counts));
    }

    [Fact]
    public void LeastRequests_AllIdleUnequalWeights_TiesBrokenInProportionToWeight()
    {
        // Idle endpoints share the least in-flight count and failure rate: all tie, and the weights break the tie.
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 5, 1, 2, 5);

        var counts = Picks.Count(pool, 16_000);

        Assert.True(Picks.ChiSquare(counts, [1, 2, 5]) < Picks.ChiSquareCritical001(2), string.Join(",", counts));
    }

    [Fact]
    public void LeastRequests_IdleTiedGroupAfterABusyHeavyOne_OnlyTheTiedShareTheTraffic()
    {
        // The heaviest holds 2 in flight: 3 / 8 < 1 / 1, so it has the least load, yet it is not idle; the idle ones are
        // not tied with it. It takes every pick until its load passes theirs.
        using var pool = Picks.Pool(LoadBalancingStrategies.LeastRequests, 5, 1, 1, 8);
        var held = Load.Hold(pool, 2, 2);

        Assert.Equal([0, 0, 300], Picks.Count(pool, 300));
        Load.CompleteAll(held);
    }
}
