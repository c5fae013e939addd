using HdrHistogram;

namespace Loadstone.LoadLab;

/// <summary>
/// A latency histogram in microseconds: HdrHistogram's <see cref="LongHistogram"/> from 1 µs to 1 hour with 3
/// significant digits (at most 0.1 % relative error). Values above an hour are recorded as an hour. Not thread-safe:
/// one per worker, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>The largest value the histogram tells apart, µs (one hour); larger values are recorded as this.</summary>
    public const long HighestMicros = 3_600_000_000;

    private const int SignificantDigits = 3;

    private readonly LongHistogram _histogram = new(1, HighestMicros, SignificantDigits);

    /// <summary>Values recorded (with the correction's synthesized values, when corrected).</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>The largest value recorded, µs (to the histogram's precision).</summary>
    public long Max => Count == 0 ? 0 : _histogram.GetMaxValue();

    /// <summary>Records one value in microseconds (negative values count as 0).</summary>
    public void Record(long micros) => _histogram.RecordValue(Clamp(micros));

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _histogram.Add(other._histogram);
    }

    /// <summary>
    /// A copy corrected for coordinated omission: every recorded value is recorded again through HdrHistogram's
    /// <see cref="HistogramBase.RecordValueWithExpectedInterval"/>, which adds the values the requests a closed-loop
    /// worker did not send while it waited would have seen (value − interval, value − 2 × interval, … down to the
    /// interval). Doing it after the run rather than while recording gives the same counts (the correction depends on
    /// each value alone) and lets the interval come from the run itself.
    /// </summary>
    /// <param name="expectedIntervalMicros">The time between a worker's requests when nothing stalls, µs; 0 or less
    /// returns an uncorrected copy.</param>
    public LatencyHistogram CorrectedForCoordinatedOmission(long expectedIntervalMicros)
    {
        var corrected = new LatencyHistogram();
        foreach (var bucket in _histogram.RecordedValues())
        {
            for (var i = 0L; i < bucket.CountAddedInThisIterationStep; i++)
            {
                if (expectedIntervalMicros > 0)
                {
                    corrected._histogram.RecordValueWithExpectedInterval(bucket.ValueIteratedTo, expectedIntervalMicros);
                }
                else
                {
                    corrected._histogram.RecordValue(bucket.ValueIteratedTo);
                }
            }
        }

        return corrected;
    }

    /// <summary>The value at percentile <paramref name="p"/> (0 to 100), in milliseconds; 0 when empty.</summary>
    public double PercentileMs(double p) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(p) / 1000.0;

    /// <summary>The value at percentile <paramref name="p"/> (0 to 100), in microseconds; 0 when empty.</summary>
    public long PercentileMicros(double p) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(p);

    /// <summary>The mean in milliseconds; 0 when empty.</summary>
    public double MeanMs() => Count == 0 ? 0 : _histogram.GetMean() / 1000.0;

    /// <summary>
    /// The cumulative distribution: (latency ms, fraction at or below). Below p99 a point is kept only when the fraction
    /// has grown by 0.01 % since the last one kept, to keep plot files small; from p99 on, every non-empty bucket.
    /// </summary>
    public IEnumerable<(double Ms, double Fraction)> Cdf()
    {
        var total = Count;
        var last = -1.0;
        foreach (var bucket in _histogram.RecordedValues())
        {
            var fraction = (double)bucket.TotalCountToThisValue / total;
            if (fraction - last >= 1e-4 || fraction >= 0.99 || bucket.TotalCountToThisValue == total)
            {
                last = fraction;
                yield return (bucket.ValueIteratedTo / 1000.0, fraction);
            }
        }
    }

    private static long Clamp(long micros) => Math.Clamp(micros, 0, HighestMicros);
}
