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

    [Theory]
    [InlineData(new[] { 1, 2, 4 })]
    [InlineData(new[] { 1, 1, 4, 1 })]
    public void Acquire_Weights_NoEndpointWaitsLongerThanItsShareAllows(int[] weights)
    {
        // Each node's picks are spread by rounding to the nearest (Bresenham): here every endpoint is picked again within
        // ceil(total / weight) picks, the least any schedule can promise (a floor or a shifted rounding waits longer).
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, weights);
        var total = weights.Sum();

        var sequence = Picks.Sequence(pool, total * 4);

        for (var endpoint = 0; endpoint < weights.Length; endpoint++)
        {
            var positions = Enumerable.Range(0, sequence.Length).Where(i => sequence[i] == endpoint).ToArray();
            var longestGap = positions.Zip(positions.Skip(1), (a, b) => b - a).Max();
            Assert.True(longestGap <= (total + weights[endpoint] - 1) / weights[endpoint],
                $"endpoint {endpoint}: gap {longestGap} in {string.Join("", sequence.Take(total * 2))}");
        }
    }

    [Fact]
    public void Schedule_CycleBeyond32Bits_SameOrderAsTheReducedWeights()
    {
        // Weights 3e9, 6e9 and 12e9 (a cycle of 2.1e10 picks: positions times weights overflow 64 bits) give exactly the
        // order of weights 1, 2 and 4, at any position of the cycle.
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, 1, 1, 1);
        var states = pool.Endpoints.ToArray();
        var large = WeightedRoundRobinStrategy.Schedule.Build(new CandidateSet(states, [3e9, 6e9, 12e9]));
        var small = WeightedRoundRobinStrategy.Schedule.Build(new CandidateSet(states, [1, 2, 4]));

        Assert.Equal(21_000_000_000UL, large.CycleLength);
        foreach (var start in new[] { 0UL, 10_000_000_000UL, 20_999_999_000UL })
        {
            for (var position = start; position < start + 1_000; position++)
            {
                Assert.Equal(small.Resolve(position % 7), large.Resolve(position));
            }
        }
    }

    [Fact]
    public void Schedule_OnlyFractionalWeights_KeepsTheirProportions()
    {
        // Every candidate ramping (slow start) at once: weights 0.5 and 0.25 still give 2 : 1, not rounded to 1 : 1.
        using var pool = Picks.Pool(LoadBalancingStrategies.WeightedRoundRobin, 1, 1, 1);
        var schedule = WeightedRoundRobinStrategy.Schedule.Build(new CandidateSet(pool.Endpoints.ToArray(), [0.5, 0.25]));

        var counts = new int[2];
        for (var position = 0UL; position < schedule.CycleLength; position++)
        {
            counts[schedule.Resolve(position)]++;
        }

        Assert.Equal(2 * counts[1], counts[0]);
    }
}
