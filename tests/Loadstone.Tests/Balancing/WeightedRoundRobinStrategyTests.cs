namespace Loadstone.Tests.Balancing;

public sealed class WeightedRoundRobinStrategyTests
{
    [Theory]
    [InlineData(new[] { 5, 1, 1 })]
    [InlineData(new[] { 3, 2, 0, 7 })]
    [InlineData(new[] { 1, 1, 1 })]
    [InlineData(new[] { 10, 3, 3, 1 })]
    [InlineData(new[] { 100, 1 })]
    public void Acquire_AnyFullCycle_GivesEachEndpointExactlyItsWeight(int[] weights)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, weights);
        var cycle = weights.Sum();

        var sequence = Picks.Sequence(pool, cycle * 20);

        AssertEveryWindowOfOneCycleHoldsTheWeights(sequence, weights);
    }

    [Fact]
    public void Acquire_LargestWeights_ExactOverEveryCycle()
    {
        int[] weights = [LoadBalancedEndpoint.MaxWeight, LoadBalancedEndpoint.MaxWeight - 1, 1, 7_919];
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, weights);

        var sequence = Picks.Sequence(pool, weights.Sum() * 3);

        AssertEveryWindowOfOneCycleHoldsTheWeights(sequence, weights);
    }

    [Theory]
    [InlineData(new[] { 5, 1, 1 }, 0)]
    [InlineData(new[] { 3, 2, 0, 7 }, 3)]
    [InlineData(new[] { 1, 8, 2 }, 1)]
    public void Acquire_SkewedWeights_HeaviestIsNeverOneBlock(int[] weights, int heaviest)
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, weights);

        var sequence = Picks.Sequence(pool, weights.Sum() * 20);

        // Interleaved, not a burst: the heaviest endpoint's share of a cycle is broken up by the others, also
        // across the boundary between cycles (steady traffic does not see where a cycle starts).
        Assert.True(Picks.LongestRun(sequence, heaviest) < weights[heaviest], string.Join("", sequence.Take(weights.Sum() * 2)));
    }

    [Fact]
    public void Acquire_Weights3And2And7_NoEndpointTwiceInARowMoreThanTheSharesForce()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, 3, 2, 7);

        var sequence = Picks.Sequence(pool, 12 * 20);

        // 7 of 12 picks go to the heaviest and 5 to the others: runs of 2 are unavoidable, 3 are not needed.
        Assert.True(Picks.LongestRun(sequence, 2) <= 3, string.Join("", sequence.Take(24)));
        Assert.Equal(1, Picks.LongestRun(sequence, 0));
        Assert.Equal(1, Picks.LongestRun(sequence, 1));
    }

    [Fact]
    public void Acquire_EqualWeights_BehavesAsRoundRobin()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, 4, 4, 4);

        var sequence = Picks.Sequence(pool, 300);

        for (var i = 1; i < sequence.Length; i++)
        {
            Assert.NotEqual(sequence[i - 1], sequence[i]);
        }

        Assert.Equal([100, 100, 100], Picks.Histogram(sequence, 3));
    }

    // Every window of one cycle's length, wherever it starts, holds each endpoint exactly weight times.
    private static void AssertEveryWindowOfOneCycleHoldsTheWeights(int[] sequence, int[] weights)
    {
        var cycle = weights.Sum();
        var counts = Picks.Histogram(sequence.Take(cycle), weights.Length);
        Assert.Equal(weights, counts);
        for (var start = 1; start + cycle <= sequence.Length; start++)
        {
            counts[sequence[start - 1]]--;
            counts[sequence[start + cycle - 1]]++;
            if (!counts.SequenceEqual(weights))
            {
                Assert.Fail($"The window at {start} holds {string.Join(",", counts)}, not {string.Join(",", weights)}.");
            }
        }
    }
}
