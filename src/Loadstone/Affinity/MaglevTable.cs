namespace Loadstone;

/// <summary>
/// Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size M in which every endpoint
/// owns about M/N slots (in proportion to its weight). A key goes to the endpoint owning slot <c>hash mod M</c>, so a
/// lookup is one division and one array read. Built from endpoint ids only, and independent of the order they are
/// given in, so the same ids give the same table in every process. Removing one of N endpoints moves its own
/// keys plus a small extra share of the others.
/// </summary>
/// <remarks>
/// With bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing with Bounded Loads") no endpoint
/// takes a new key once it holds <c>⌈c · (keys + 1) · weight / total weight⌉</c>; the key goes to the next endpoint
/// in its own probe sequence that is under that cap.
/// </remarks>
internal sealed class MaglevTable
{
    /// <summary>The table size for up to 655 endpoints: 65,537, a prime.</summary>
    public const int DefaultTableSize = 65_537;

    // At least 100 slots per endpoint, as the Maglev paper. Removing one of N endpoints moves its 1/N of the keys plus
    // a cascade of roughly 0.3-0.8 % of all keys (measured; docs/stickiness.md): 1.0-1.5 × 1/N up to 100 endpoints,
    // 2.4× at 200, about 6× at 655. Quintupling the slots only brings 1,000 endpoints from 6.8× to 4.8×, at 4× the
    // memory and build time, so large pools rely on the binding table, which never moves a bound key.
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

    /// <summary>The stable hash of each endpoint id, by index.</summary>
    public ulong[] IdHashes { get; }

    /// <summary>Builds the table.</summary>
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
        Array.Fill(slots, -1);

        // Populate in id order, not caller order, so the table does not depend on how the sources listed endpoints.
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => string.CompareOrdinal(ids[a], ids[b]));
        var offset = new long[n];
        var skip = new long[n];
        var next = new long[n];
        var credit = new double[n];
        for (var i = 0; i < n; i++)
        {
            offset[i] = (long)(StableHash.Mix(hashes[i], 1) % (ulong)m);
            skip[i] = (long)(StableHash.Mix(hashes[i], 2) % (ulong)(m - 1)) + 1;
        }

        var filled = 0;
        while (true)
        {
            foreach (var i in order)
            {
                // Weighted turns: the heaviest endpoint claims a slot every round, a lighter one in proportion.
                credit[i] += w[i] / maxWeight;
                if (credit[i] < 1 - 1e-9)
                {
                    continue;
                }

                credit[i] -= 1;
                long slot;
                do
                {
                    slot = (offset[i] + (next[i] * skip[i])) % m;
                    next[i]++;
                }
                while (slots[slot] >= 0);

                slots[slot] = i;
                if (++filled == m)
                {
                    return new MaglevTable(slots, hashes, w, total);
                }
            }
        }
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
        var total = 0L;
        for (var i = 0; i < n; i++)
        {
            total += loads[i];
        }

        var scale = factor * (total + 1) / _totalWeight;
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
}
