namespace Loadstone;

/// <summary>
/// Consistent hashing into a lookup table of prime size M in which every endpoint owns about M/N slots (in proportion
/// to its weight). A key goes to the endpoint owning slot <c>hash mod M</c>, so a lookup is one division and one array
/// read. Built from endpoint ids only, and independent of the order they are given in, so the same ids give the same
/// table in every process.
/// </summary>
/// <remarks>
/// <para>
/// The table is filled in two phases. First, Maglev (Eisenbud et al., NSDI 2016): endpoints take turns, each claiming
/// the next free slot of its own pseudo-random permutation of the slots, until <see cref="TurnShare"/> of the table is
/// filled; turns give every endpoint its share within one slot. Plain Maglev fills the whole table that way, and its
/// last turns are where removing an endpoint cascades: with few free slots left, each claim probes far down its
/// permutation, so one freed slot shifts the claims of many others (1 of 1,000 endpoints removed moves 6.6 × the
/// ideal 1/N of the keys at M = 100 N, 9.4 × at 10,000). Second, each slot still free goes to the endpoint whose
/// permutation reaches it first (rendezvous hashing, a ranking of the endpoints per slot that does not depend on
/// the others present), unless that endpoint already holds <see cref="SlotCapFactor"/> × its share. Removing an
/// endpoint then moves its own slots and a small cascade through the turns and the caps: measured 1.1–1.6 × the
/// ideal 1/N for N = 100 to 10,000 (docs/stickiness.md), with every endpoint between 0.85 and 1.11 × its share.
/// </para>
/// <para>
/// With bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing with Bounded Loads") no endpoint
/// takes a new key once it holds <c>⌈c · (keys + 1) · weight / total weight⌉</c>; the key goes to the next endpoint
/// in its own probe sequence that is under that cap.
/// </para>
/// </remarks>
internal sealed class MaglevTable
{
    /// <summary>The table size for up to 655 endpoints: 65,537, a prime.</summary>
    public const int DefaultTableSize = 65_537;

    /// <summary>The share of the slots filled by Maglev's turns; the rest go by rendezvous.</summary>
    /// <remarks>
    /// Measured (removing 1 of N, N = 1,000 and 10,000 at M ≈ 100 N): 0.7 moves 1.3 × 1/N with endpoints 0.82–1.11
    /// × their share, 0.8 moves 1.5 × with 0.85–1.11, 0.9 moves 2.0 × with 0.90–1.19; plain Maglev (1.0) moves
    /// 6.6–9.4 × with every endpoint within one slot. 0.8 keeps the movement well under 2 × for the balance.
    /// </remarks>
    public const double TurnShare = 0.8;

    /// <summary>In the rendezvous phase, an endpoint holding this many times its share of the slots takes no more.</summary>
    /// <remarks>Without a cap the busiest of 10,000 endpoints holds 1.21 × its share; 1.1 costs 0.05 × 1/N more movement.</remarks>
    public const double SlotCapFactor = 1.1;

    // At least 100 slots per endpoint, as the Maglev paper: fewer slots make the shares coarse and the cascade longer.
    private const int SlotsPerEndpoint = 100;

    // Probes in a key's own pseudo-random sequence before falling back to a scan for bounded loads.
    private const int MaxProbes = 64;

    private readonly int[] _slots;
    private readonly double[] _weights;
    private readonly double _totalWeight;

    private MaglevTable(int[] slots, ulong[] idHashes, double[] weights, double totalWeight)
    {
        _slots = slots;
        IdHashes = idHashes;
        _weights = weights;
        _totalWeight = totalWeight;
    }

    /// <summary>The number of endpoints the table was built from.</summary>
    public int Count => IdHashes.Length;

    /// <summary>M, the number of slots; see <see cref="TableSizeFor"/>.</summary>
    public int TableSize => _slots.Length;

    /// <summary>The bytes the table holds once built: the slots (4 bytes each) and 24 bytes per endpoint.</summary>
    public long MemoryBytes => (4L * _slots.Length) + (24L * Count);

    /// <summary>The stable hash of each endpoint id, by index.</summary>
    public ulong[] IdHashes { get; }

    /// <summary>Builds the table. O(M log M); control plane only.</summary>
    /// <param name="ids">Distinct endpoint ids, at least one. Indices returned by lookups refer to this order.</param>
    /// <param name="weights">Relative weights by index (all &gt; 0), or <see langword="null"/> for equal weights.</param>
    public static MaglevTable Build(IReadOnlyList<string> ids, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var n = ids.Count;
        if (n == 0)
        {
            throw new ArgumentException("At least one endpoint id is needed.", nameof(ids));
        }

        if (weights is not null && weights.Count != n)
        {
            throw new ArgumentException("There must be one weight per id.", nameof(weights));
        }

        var hashes = new ulong[n];
        var w = new double[n];
        var maxWeight = 0d;
        var total = 0d;
        for (var i = 0; i < n; i++)
        {
            hashes[i] = StableHash.Hash(ids[i]);
            w[i] = weights?[i] ?? 1d;
            if (!(w[i] > 0) || double.IsInfinity(w[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), w[i], "Weights must be positive and finite.");
            }

            maxWeight = Math.Max(maxWeight, w[i]);
            total += w[i];
        }

        var m = TableSizeFor(n);
        var slots = new int[m];

        // Populate in id order, not caller order, so the table does not depend on how the sources listed endpoints.
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => string.CompareOrdinal(ids[a], ids[b]));

        // Endpoint i's permutation of the slots: offset, offset + skip, offset + 2 skip, ... (mod M); M is prime, so
        // every skip in [1, M) visits every slot once. Walkers are kept in id order, one struct each, and a bitmap of
        // taken slots (M / 8 bytes, cache-resident) is probed instead of the table itself.
        var walkers = new Walker[n];
        for (var k = 0; k < n; k++)
        {
            var i = order[k];
            walkers[k] = new Walker
            {
                Index = i,
                Offset = (int)(StableHash.Mix(hashes[i], 1) % (ulong)m),
                Skip = (int)(StableHash.Mix(hashes[i], 2) % (ulong)(m - 1)) + 1,
                Pace = w[i] / maxWeight,

                // The caps add up to more than M, so some endpoint under its cap remains while slots are free.
                Cap = (int)Math.Ceiling(SlotCapFactor * m * w[i] / total),
            };
        }

        var taken = new ulong[(m + 63) / 64];
        var filled = FillByTurns(slots, taken, walkers, (int)(TurnShare * m));
        FillByRendezvous(slots, taken, walkers, m - filled);
        return new MaglevTable(slots, hashes, w, total);
    }

    // Maglev's turns: the heaviest endpoint claims a slot every round, a lighter one in proportion to its weight.
    private static int FillByTurns(int[] slots, ulong[] taken, Walker[] walkers, int target)
    {
        var m = slots.Length;
        var filled = 0;
        for (var k = 0; k < walkers.Length; k++)
        {
            walkers[k].Cursor = walkers[k].Offset;
        }

        while (filled < target)
        {
            for (var k = 0; k < walkers.Length; k++)
            {
                ref var walker = ref walkers[k];
                walker.Credit += walker.Pace;
                if (walker.Credit < 1 - 1e-9)
                {
                    continue;
                }

                walker.Credit -= 1;
                var slot = walker.Cursor;
                while (IsTaken(taken, slot))
                {
                    slot = Next(slot, walker.Skip, m);
                }

                Take(taken, slot);
                slots[slot] = walker.Index;
                walker.Held++;
                walker.Cursor = Next(slot, walker.Skip, m);
                if (++filled == target)
                {
                    return filled;
                }
            }
        }

        return filled;
    }

    // Each free slot goes to the endpoint whose permutation reaches it first, endpoints at their cap dropping out; a
    // slot's owner so depends on its own ranking of the endpoints and the caps, not on the turns of the other slots.
    // Endpoint i reaches depth d of its permutation at time -ln(1 - d/M) / weight: d is uniform over [0, M), so the
    // time is exponential with rate weight, and the first to arrive is endpoint i with probability weight / total
    // (weighted rendezvous, exact also for a handful of endpoints, where a pace linear in d would favour the heavy).
    // Time advances in steps of 1 / (M · heaviest weight); within a step, endpoints go in id order. Only IEEE
    // additions, multiplications and divisions are used, so every process computes the same table.
    private static void FillByRendezvous(int[] slots, ulong[] taken, Walker[] walkers, int free)
    {
        var m = slots.Length;
        for (var k = 0; k < walkers.Length; k++)
        {
            ref var walker = ref walkers[k];
            walker.Cursor = walker.Offset;

            // Remaining = exp(-weight · time): the share of its permutation the endpoint has not reached yet.
            walker.Remaining = 1;
            walker.Decay = ExpOfMinus(walker.Pace / m);
        }

        while (free > 0)
        {
            var advanced = false;
            for (var k = 0; k < walkers.Length; k++)
            {
                ref var walker = ref walkers[k];
                if (walker.Held >= walker.Cap || walker.Depth == m)
                {
                    continue;
                }

                advanced = true;
                walker.Remaining *= walker.Decay;
                var reach = (int)Math.Min(m, Math.Floor(m * (1 - walker.Remaining)));
                while (walker.Depth < reach)
                {
                    var slot = walker.Cursor;
                    walker.Cursor = Next(slot, walker.Skip, m);
                    walker.Depth++;
                    if (IsTaken(taken, slot))
                    {
                        continue;
                    }

                    Take(taken, slot);
                    slots[slot] = walker.Index;
                    if (--free == 0)
                    {
                        return;
                    }

                    if (++walker.Held >= walker.Cap)
                    {
                        break;
                    }
                }
            }

            if (!advanced)
            {
                // Unreachable: an endpoint under its cap visits every slot before its permutation ends.
                throw new InvalidOperationException("The rendezvous phase left slots without an owner.");
            }
        }
    }

    private static bool IsTaken(ulong[] taken, int slot) => (taken[slot >> 6] & (1UL << slot)) != 0;

    private static void Take(ulong[] taken, int slot) => taken[slot >> 6] |= 1UL << slot;

    // e^-x for 0 ≤ x ≤ 1/65,537 by its Taylor series, exact to the last bit there, and with basic IEEE operations
    // only: Math.Exp may differ in the last bit between platforms, and the table must not.
    private static double ExpOfMinus(double x) => 1 - (x * (1 - (x / 2 * (1 - (x / 3 * (1 - (x / 4)))))));

    private static int Next(int slot, int skip, int m)
    {
        var next = (long)slot + skip;
        return (int)(next >= m ? next - m : next);
    }

    /// <summary>
    /// The table size for <paramref name="endpointCount"/> endpoints: the smallest prime above 65,536 × 2^k that is at
    /// least 100 × N (65,537 up to 655 endpoints, 131,101 up to 1,310, then 262,147, ...). The size steps in powers of
    /// two rather than following N, because a table of another size maps keys afresh: adding or removing one endpoint
    /// must keep the size, and only crossing a step (rare) remaps everything (bound keys stay bound).
    /// </summary>
    public static int TableSizeFor(int endpointCount)
    {
        var wanted = (long)endpointCount * SlotsPerEndpoint;
        long step = DefaultTableSize - 1;
        while (step + 1 < wanted)
        {
            step *= 2;
        }

        var candidate = step + 1;
        while (!IsPrime(candidate))
        {
            candidate++;
        }

        return checked((int)candidate);
    }

    /// <summary>The endpoint index a key hash maps to.</summary>
    public int Lookup(ulong keyHash) => _slots[(int)(keyHash % (ulong)_slots.Length)];

    /// <summary>
    /// The endpoint index for a new key under bounded loads: the first endpoint in the key's probe sequence whose
    /// load is under its cap <c>⌈factor · (total + 1) · weight / total weight⌉</c>.
    /// </summary>
    /// <param name="keyHash">The key's hash.</param>
    /// <param name="loads">The keys each endpoint holds now, by index.</param>
    /// <param name="factor">c, at least 1.</param>
    public int LookupBounded<TLoads>(ulong keyHash, TLoads loads, double factor)
        where TLoads : IEndpointLoads
    {
        var n = Count;
        var scale = factor * ((long)loads.Total + 1) / _totalWeight;
        var first = Lookup(keyHash);
        if (loads[first] < Capacity(first, scale))
        {
            return first;
        }

        for (var k = 1UL; k <= MaxProbes; k++)
        {
            var index = _slots[(int)(StableHash.Mix(keyHash, k) % (ulong)_slots.Length)];
            if (loads[index] < Capacity(index, scale))
            {
                return index;
            }
        }

        // The caps add up to more than the total, so some endpoint is always under its cap.
        for (var k = 1; k <= n; k++)
        {
            var index = (first + k) % n;
            if (loads[index] < Capacity(index, scale))
            {
                return index;
            }
        }

        return first;
    }

    private double Capacity(int index, double scale) => Math.Ceiling(scale * _weights[index]);

    // One endpoint's walk along its permutation, in both fill phases.
    private struct Walker
    {
        public int Index;
        public int Offset;
        public int Skip;
        public int Cursor;
        public int Depth;
        public int Held;
        public int Cap;
        public double Pace;
        public double Credit;
        public double Remaining;
        public double Decay;
    }

    private static bool IsPrime(long value)
    {
        if (value < 2)
        {
            return false;
        }

        for (long d = 2; d * d <= value; d++)
        {
            if (value % d == 0)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>How many keys each endpoint holds, by index; read by bounded-load lookups.</summary>
internal interface IEndpointLoads
{
    /// <summary>The keys the endpoint at <paramref name="index"/> holds.</summary>
    int this[int index] { get; }

    /// <summary>
    /// The keys held in all, kept as a running count so a lookup stays O(1) at any pool size; it may include keys held
    /// by endpoints that are not in the table (which only loosens the caps).
    /// </summary>
    int Total { get; }
}
