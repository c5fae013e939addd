namespace Loadstone;

internal sealed class RoundRobinStrategy : ILoadBalancingStrategy
{
    private uint _next = uint.MaxValue;

    public string Name => LoadBalancingStrategies.RoundRobin;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request) =>
        (int)(Interlocked.Increment(ref _next) % (uint)candidates.Count);
}

internal sealed class FirstAvailableStrategy : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.FirstAvailable;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request) => 0;
}

internal sealed class RandomStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.Random;

    // Cumulative weights for a binary search; null when all weights are equal and a uniform pick will do.
    public object? Prepare(CandidateSet candidates)
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

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        if (candidates.StrategyState is not double[] cumulative)
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

/// <summary>
/// Smooth weighted round robin by halving. The candidates form a balanced binary tree. A node's cycle of T picks sends
/// exactly L of them to its left half (L = the left half's total weight), spread as evenly as the steps of a line drawn
/// with Bresenham's algorithm, and numbers them 0 to L − 1 as the left half's own cycle (likewise on the right). So each
/// candidate gets exactly its weight over every cycle of total-weight picks, its picks are spread through the cycle rather
/// than bunched, and a pick costs one division per tree level (log n) and no lock: the position in the cycle is a counter.
/// Cycles of up to 16,384 picks are precomputed into a table, so their picks cost one lookup.
/// </summary>
internal sealed class WeightedRoundRobinStrategy : ILoadBalancingStrategy
{
    private ulong _next = ulong.MaxValue;

    public string Name => LoadBalancingStrategies.WeightedRoundRobin;

    public object? Prepare(CandidateSet candidates) => Schedule.Build(candidates);

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var schedule = (Schedule)candidates.StrategyState!;
        var position = Interlocked.Increment(ref _next) % schedule.CycleLength;
        return schedule.Resolve(position);
    }

    internal sealed class Schedule
    {
        // Cycles up to this long are walked once when the schedule is built, into a table of at most 64 KB: a pick is
        // then one lookup (O(1)) instead of a descent of the tree (O(log n) divisions). Longer cycles descend.
        private const ulong MaxTableLength = 16_384;

        // _before[i] is the total weight of the candidates before i; _before[^1] is the cycle length.
        private readonly ulong[] _before;

        // _table[position] is the candidate at that position of the cycle; null when the cycle is too long.
        private readonly int[]? _table;

        private Schedule(ulong[] before, int[]? table)
        {
            _before = before;
            _table = table;
        }

        public ulong CycleLength => _before[^1];

        public static Schedule Build(CandidateSet candidates)
        {
            var weights = IntegerWeights(candidates);
            var before = new ulong[weights.Length + 1];
            for (var i = 0; i < weights.Length; i++)
            {
                before[i + 1] = before[i] + (ulong)weights[i];
            }

            int[]? table = null;
            if (before[^1] <= MaxTableLength)
            {
                table = new int[before[^1]];
                for (var position = 0; position < table.Length; position++)
                {
                    table[position] = Descend(before, (ulong)position);
                }
            }

            return new Schedule(before, table);
        }

        public int Resolve(ulong position) => _table is { } table ? table[position] : Descend(_before, position);

        private static int Descend(ulong[] before, ulong position)
        {
            int low = 0, high = before.Length - 1;
            while (high - low > 1)
            {
                var middle = (low + high) >>> 1;
                var total = before[high] - before[low];
                var left = before[middle] - before[low];

                // Picks 0 .. position − 1 of this node sent floor((position · left + (total − 1) / 2) / total) to the left;
                // this one goes left when the count steps up, which happens left times per total, evenly spaced.
                var (toLeftBefore, remainder) = DivRem(position, left, (total - 1) / 2, total);
                if (remainder + left >= total)
                {
                    high = middle;
                    position = toLeftBefore;
                }
                else
                {
                    low = middle;
                    position -= toLeftBefore;
                }
            }

            return low;
        }

        // (a · b + c) / d and its remainder; 128-bit only for cycles too long for 64 (never with weights ≤ 10,000 × 100).
        private static (ulong Quotient, ulong Remainder) DivRem(ulong a, ulong b, ulong c, ulong d)
        {
            if (d <= uint.MaxValue)
            {
                return Math.DivRem((a * b) + c, d);
            }

            var (q, r) = UInt128.DivRem(((UInt128)a * b) + c, d);
            return ((ulong)q, (ulong)r);
        }

        // Whole weights are used as they are; fractional ones (ramps) are scaled by 100 and rounded, never to 0.
        private static long[] IntegerWeights(CandidateSet candidates)
        {
            var integral = true;
            for (var i = 0; i < candidates.Count; i++)
            {
                integral &= candidates.GetWeight(i) == Math.Floor(candidates.GetWeight(i));
            }

            var result = new long[candidates.Count];
            for (var i = 0; i < result.Length; i++)
            {
                var w = candidates.GetWeight(i);
                result[i] = Math.Max(1, (long)Math.Round(integral ? w : w * 100));
            }

            return result;
        }
    }
}

internal sealed class LeastRequestsStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.LeastRequests;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var n = endpoints.Length;

        // First pass: the least load and how many share it. Second: the k-th of those with k uniform, so every tied
        // endpoint is equally likely (a random starting point alone favours the one after a run of busy endpoints).
        var best = 0;
        var bestLoad = double.MaxValue;
        var ties = 0;
        for (var i = 0; i < n; i++)
        {
            var load = (endpoints[i].ActiveRequests + 1) / weights[i];
            if (load < bestLoad)
            {
                bestLoad = load;
                best = i;
                ties = 1;
            }
            else if (load == bestLoad)
            {
                ties++;
            }
        }

        if (ties <= 1)
        {
            return best;
        }

        var k = random.Next(ties);
        for (var i = best; i < n; i++)
        {
            if ((endpoints[i].ActiveRequests + 1) / weights[i] == bestLoad && k-- == 0)
            {
                return i;
            }
        }

        // In-flight counts moved between the passes; the first least loaded is as good an answer.
        return best;
    }
}

internal sealed class PowerOfTwoChoicesStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.PowerOfTwoChoices;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var (a, b) = TwoDistinct(random, n);
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var loadA = (endpoints[a].ActiveRequests + 1) / weights[a];
        var loadB = (endpoints[b].ActiveRequests + 1) / weights[b];
        return loadB < loadA ? b : a;
    }

    internal static (int First, int Second) TwoDistinct(Random random, int count)
    {
        var a = random.Next(count);
        var b = random.Next(count - 1);
        return (a, b >= a ? b + 1 : b);
    }
}

internal sealed class PeakEwmaStrategy(Random random, TimeProvider timeProvider) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.PeakEwma;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var (a, b) = PowerOfTwoChoicesStrategy.TwoDistinct(random, n);
        var now = timeProvider.GetTimestamp();
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        return Cost(endpoints[b], weights[b], now) < Cost(endpoints[a], weights[a], now) ? b : a;
    }

    // The +1 tick keeps an idle, long-decayed endpoint's cost from collapsing to zero, so in-flight counts still count.
    private static double Cost(EndpointState endpoint, double weight, long now) =>
        (endpoint.LatencyCostTicks(now) + 1) * (endpoint.ActiveRequests + 1) / weight;
}
