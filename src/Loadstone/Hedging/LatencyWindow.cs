using System.Numerics;

namespace Loadstone;

/// <summary>
/// Recent attempt latencies of a pool, for the hedging delay: a log-linear histogram (8 buckets per power of two, so
/// within 12.5 %) per second, over the last 10 seconds. Lock-free: a recording is one <see cref="Interlocked"/>
/// increment; the first recording in a new second clears that second's buckets (a racing increment may be lost, which a
/// percentile tolerates). <see cref="Percentile"/> runs on the control plane once a second.
/// </summary>
internal sealed class LatencyWindow(TimeProvider timeProvider)
{
    internal const int WindowSeconds = 10;

    /// <summary>Latencies needed in the window before a percentile is given: 100.</summary>
    internal const int MinimumSamples = 100;

    private const int SubBits = 3;
    private const int Sub = 1 << SubBits;

    // Microseconds up to 2^27 (about 134 s); longer latencies land in the last bucket.
    private const int Buckets = Sub + ((27 - SubBits) * Sub);

    private readonly Slice[] _slices = CreateSlices();

    /// <summary>Records one latency, in ticks of the pool's clock, at the timestamp <paramref name="now"/>.</summary>
    public void Record(long elapsedTicks, long now)
    {
        var micros = elapsedTicks * 1_000_000 / timeProvider.TimestampFrequency;
        var second = now / timeProvider.TimestampFrequency;
        var slice = _slices[(int)(second % WindowSeconds)];
        slice.Roll(second);
        Interlocked.Increment(ref slice.Counts[Bucket(micros)]);
    }

    /// <summary>The <paramref name="percent"/>th percentile of the window (the upper edge of its bucket), or null with too few samples.</summary>
    public TimeSpan? Percentile(double percent)
    {
        var now = timeProvider.GetTimestamp() / timeProvider.TimestampFrequency;
        Span<long> merged = stackalloc long[Buckets];
        long total = 0;
        foreach (var slice in _slices)
        {
            if (slice.Epoch > now - WindowSeconds && slice.Epoch <= now)
            {
                for (var b = 0; b < Buckets; b++)
                {
                    var count = Volatile.Read(ref slice.Counts[b]);
                    merged[b] += count;
                    total += count;
                }
            }
        }

        if (total < MinimumSamples)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(total * percent / 100);
        long cumulative = 0;
        for (var b = 0; b < Buckets; b++)
        {
            cumulative += merged[b];
            if (cumulative >= rank)
            {
                return TimeSpan.FromMicroseconds(UpperEdge(b));
            }
        }

        return TimeSpan.FromMicroseconds(UpperEdge(Buckets - 1));
    }

    /// <summary>The bucket of a latency in microseconds: exact below 8 µs, then 8 per power of two.</summary>
    internal static int Bucket(long micros)
    {
        if (micros < Sub)
        {
            return (int)Math.Max(micros, 0);
        }

        var exponent = BitOperations.Log2((ulong)micros);
        var index = Sub + ((exponent - SubBits) * Sub) + (int)((micros >> (exponent - SubBits)) & (Sub - 1));
        return Math.Min(index, Buckets - 1);
    }

    /// <summary>The largest latency (µs) a bucket holds.</summary>
    internal static long UpperEdge(int bucket)
    {
        if (bucket < Sub)
        {
            return bucket;
        }

        var exponent = ((bucket - Sub) / Sub) + SubBits;
        var sub = (bucket - Sub) % Sub;
        return ((Sub + sub + 1L) << (exponent - SubBits)) - 1;
    }

    private static Slice[] CreateSlices()
    {
        var slices = new Slice[WindowSeconds];
        for (var i = 0; i < slices.Length; i++)
        {
            slices[i] = new Slice();
        }

        return slices;
    }

    private sealed class Slice
    {
        public readonly long[] Counts = new long[Buckets];
        private long _epoch = long.MinValue / 2;

        public long Epoch => Volatile.Read(ref _epoch);

        public void Roll(long second)
        {
            var epoch = Volatile.Read(ref _epoch);
            if (epoch != second && Interlocked.CompareExchange(ref _epoch, second, epoch) == epoch)
            {
                Array.Clear(Counts);
            }
        }
    }
}
