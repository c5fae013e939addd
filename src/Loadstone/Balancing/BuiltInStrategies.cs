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

        var target = random.NextDouble() * cumulative[^1];
        var index = Array.BinarySearch(cumulative, target);
        index = index < 0 ? ~index : index + 1;
        return Math.Min(index, cumulative.Length - 1);
    }
}

/// <summary>
/// Interleaved weighted round robin. With candidates sorted by weight, heaviest first, round r of a cycle visits
/// every candidate whose weight is at least r; those form a prefix of the sorted order. Consecutive rounds between
/// two distinct weights visit the same prefix, so a cycle is a handful of segments and a position in the cycle maps
/// to a candidate with one binary search over the segments. Each candidate is visited exactly weight times a cycle.
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
        private readonly int[] _byWeightDescending;
        private readonly ulong[] _segmentStart;
        private readonly int[] _segmentWidth;

        private Schedule(int[] order, ulong[] segmentStart, int[] segmentWidth, ulong cycleLength)
        {
            _byWeightDescending = order;
            _segmentStart = segmentStart;
            _segmentWidth = segmentWidth;
            CycleLength = cycleLength;
        }

        public ulong CycleLength { get; }

        public static Schedule Build(CandidateSet candidates)
        {
            var weights = IntegerWeights(candidates);
            var order = new int[weights.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            // Stable: equal weights keep the sources' order.
            var sorted = order.OrderByDescending(i => weights[i]).ToArray();
            var distinct = weights.Distinct().Order().ToArray();
            var starts = new ulong[distinct.Length];
            var widths = new int[distinct.Length];
            ulong position = 0;
            long previous = 0;
            for (var s = 0; s < distinct.Length; s++)
            {
                var width = 0;
                foreach (var w in weights)
                {
                    if (w >= distinct[s])
                    {
                        width++;
                    }
                }

                starts[s] = position;
                widths[s] = width;
                position += (ulong)(distinct[s] - previous) * (ulong)width;
                previous = distinct[s];
            }

            return new Schedule(sorted, starts, widths, position);
        }

        public int Resolve(ulong position)
        {
            var segment = Array.BinarySearch(_segmentStart, position);
            if (segment < 0)
            {
                segment = ~segment - 1;
            }

            var offset = (position - _segmentStart[segment]) % (ulong)_segmentWidth[segment];
            return _byWeightDescending[offset];
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
        var start = n == 1 ? 0 : random.Next(n);
        var best = start;
        var bestLoad = double.MaxValue;
        for (var k = 0; k < n; k++)
        {
            var i = start + k;
            if (i >= n)
            {
                i -= n;
            }

            var load = (endpoints[i].ActiveRequests + 1) / weights[i];
            if (load < bestLoad)
            {
                bestLoad = load;
                best = i;
            }
        }

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
