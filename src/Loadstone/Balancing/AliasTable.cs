namespace Loadstone;

/// <summary>
/// Vose's alias method: draws an index in proportion to weights in O(1) (one uniform index, one coin), after an O(n)
/// preparation. Two-choice strategies draw their candidates with it when weights differ, so that with nothing in flight
/// (one request at a time) each endpoint's share follows its weight, a slow-start ramp included.
/// </summary>
internal sealed class AliasTable
{
    private readonly double[] _probability;
    private readonly int[] _alias;

    private AliasTable(double[] probability, int[] alias)
    {
        _probability = probability;
        _alias = alias;
    }

    /// <summary>The table of a set's effective weights, or null when they are uniform (a uniform draw will do).</summary>
    public static AliasTable? For(CandidateSet candidates)
    {
        if (candidates.HasUniformWeights || candidates.TotalWeight <= 0)
        {
            return null;
        }

        var n = candidates.Count;
        var scaled = new double[n];
        var probability = new double[n];
        var alias = new int[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (var i = 0; i < n; i++)
        {
            scaled[i] = candidates.GetWeight(i) * n / candidates.TotalWeight;
            (scaled[i] < 1 ? small : large).Push(i);
        }

        while (small.Count > 0 && large.Count > 0)
        {
            var (less, more) = (small.Pop(), large.Pop());
            probability[less] = scaled[less];
            alias[less] = more;
            scaled[more] = scaled[more] + scaled[less] - 1;
            (scaled[more] < 1 ? small : large).Push(more);
        }

        // What is left holds (up to rounding) exactly one column's worth.
        foreach (var i in large.Concat(small))
        {
            probability[i] = 1;
            alias[i] = i;
        }

        return new AliasTable(probability, alias);
    }

    /// <summary>An index drawn in proportion to the weights.</summary>
    public int Sample(Random random)
    {
        var i = random.Next(_probability.Length);
        return random.NextDouble() < _probability[i] ? i : _alias[i];
    }

    /// <summary>An index other than <paramref name="other"/>, drawn in proportion to the weights (uniformly after a few misses).</summary>
    public int SampleOther(Random random, int other)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var i = Sample(random);
            if (i != other)
            {
                return i;
            }
        }

        var j = random.Next(_probability.Length - 1);
        return j >= other ? j + 1 : j;
    }
}
