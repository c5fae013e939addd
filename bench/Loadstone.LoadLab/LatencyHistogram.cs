using System.Numerics;

namespace Loadstone.LoadLab;

/// <summary>
/// A log-linear latency histogram in microseconds, in the manner of HdrHistogram: exact below 256 µs, then 128
/// sub-buckets per power of two (under 0.8 % relative error), up to about 2^40 µs. Not thread-safe: one per worker,
/// merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int SubCount = 1 << SubBits; // 128
    private const int Linear = 2 * SubCount; // 256
    private const int BucketCount = Linear + (40 - SubBits - 1) * SubCount;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, µs.</summary>
    public long Max { get; private set; }

    /// <summary>Records one value in microseconds (negative values count as 0).</summary>
    public void Record(long micros)
    {
        var v = Math.Max(0, micros);
        _counts[Index(v)]++;
        Count++;
        if (v > Max)
        {
            Max = v;
        }
    }

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value at percentile <paramref name="p"/> (0 to 100), in milliseconds; 0 when empty.</summary>
    public double PercentileMs(double p)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(p / 100 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Representative(i), Max) / 1000.0;
            }
        }

        return Max / 1000.0;
    }

    /// <summary>The mean in milliseconds (bucket midpoints).</summary>
    public double MeanMs()
    {
        if (Count == 0)
        {
            return 0;
        }

        double sum = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            sum += _counts[i] * (double)Representative(i);
        }

        return sum / Count / 1000.0;
    }

    /// <summary>
    /// The cumulative distribution: (latency ms, fraction at or below). Below p99 a point is kept only when the fraction
    /// has grown by 0.01 % since the last one kept, to keep plot files small; from p99 on, every non-empty bucket.
    /// </summary>
    public IEnumerable<(double Ms, double Fraction)> Cdf()
    {
        long seen = 0;
        var last = -1.0;
        for (var i = 0; i < BucketCount; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            seen += _counts[i];
            var fraction = (double)seen / Count;
            if (fraction - last >= 1e-4 || fraction >= 0.99 || seen == Count)
            {
                last = fraction;
                yield return (Math.Min(Representative(i), Max) / 1000.0, fraction);
            }
        }
    }

    private static int Index(long v)
    {
        if (v < Linear)
        {
            return (int)v;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)v);
        var shift = msb - SubBits;
        var index = Linear + ((msb - SubBits - 1) * SubCount) + (int)((v >> shift) - SubCount);
        return Math.Min(index, BucketCount - 1);
    }

    private static long Representative(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var k = index - Linear;
        var msb = (k / SubCount) + SubBits + 1;
        var shift = msb - SubBits;
        var sub = (k % SubCount) + SubCount;
        return ((long)sub << shift) + ((1L << shift) / 2);
    }
}
