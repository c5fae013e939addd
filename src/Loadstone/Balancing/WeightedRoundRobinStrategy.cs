namespace Loadstone;

/// <summary>
/// Smooth weighted round robin by halving. The candidates form a balanced binary tree. A node's cycle of T picks sends
/// exactly L of them to its left half (L = the left half's total weight), spread as evenly as the steps of a line drawn
/// with Bresenham's algorithm, and numbers them 0 to L − 1 as the left half's own cycle (likewise on the right). So each
/// candidate gets exactly its weight over every cycle of total-weight picks, its picks are spread through the cycle rather
/// than bunched, and a pick costs one division per tree level (log n) and no lock: the position in the cycle is a counter.
/// Cycles of up to 16,384 picks are precomputed into a table, so their picks cost one lookup.
/// </summary>
internal sealed class WeightedRoundRobinStrategy : LoadBalancingStrategy<WeightedRoundRobinStrategy.Schedule>
{
    private ulong _next = ulong.MaxValue;

    public override string Name => LoadBalancingStrategies.WeightedRoundRobin;

    protected override Schedule Prepare(CandidateSet candidates) => Schedule.Build(candidates);

    protected override int Pick(CandidateSet candidates, Schedule? schedule, HttpRequestMessage? request)
    {
        var position = Interlocked.Increment(ref _next) % schedule!.CycleLength;
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
