namespace Loadstone;

/// <summary>A random candidate in proportion to its weight: uniform when weights are equal, else a search of cumulative weights.</summary>
internal sealed class RandomStrategy(Random random) : LoadBalancingStrategy<double[]>
{
    public override string Name => LoadBalancingStrategies.Random;

    // Cumulative weights for a binary search; none when all weights are equal and a uniform pick will do.
    protected override double[]? Prepare(CandidateSet candidates)
    {
        if (candidates.HasUniformWeights)
        {
            return null;
        }

        var cumulative = new double[candidates.Count];
        var sum = 0d;
        for (var i = 0; i < cumulative.Length; i++)
        {
            sum += candidates.GetWeight(i);
            cumulative[i] = sum;
        }

        return cumulative;
    }

    protected override int Pick(CandidateSet candidates, double[]? cumulative, HttpRequestMessage? request)
    {
        if (cumulative is null)
        {
            return random.Next(candidates.Count);
        }

        // The first candidate whose cumulative weight exceeds the target. A plain loop: Array.BinarySearch goes through
        // a comparer, which made the search cost several times the few comparisons it needs.
        var target = random.NextDouble() * cumulative[^1];
        int low = 0, high = cumulative.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (cumulative[middle] <= target)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return Math.Min(low, cumulative.Length - 1);
    }
}
