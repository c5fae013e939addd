using Loadstone.LoadLab;

namespace Loadstone.Tests.LoadLab;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void PercentileMs_RecordedValues_WithinHdrHistogramPrecision()
    {
        var histogram = new LatencyHistogram();
        for (var v = 1; v <= 10_000; v++)
        {
            histogram.Record(v * 100); // 0.1 ms to 1,000 ms
        }

        Assert.Equal(10_000, histogram.Count);
        Assert.Equal(500.0, histogram.PercentileMs(50), 500.0 * 0.001);
        Assert.Equal(990.0, histogram.PercentileMs(99), 990.0 * 0.001);
        Assert.Equal(500.05, histogram.MeanMs(), 500.05 * 0.001);
        Assert.InRange(histogram.Max, 1_000_000, 1_001_000);
    }

    [Fact]
    public void CorrectedForCoordinatedOmission_OneStall_AddsTheRequestsTheWorkerDidNotSend()
    {
        // A closed-loop worker answered in 1 ms, then stalled 100 ms once: the 99 requests it would have sent during
        // the stall would have waited 99, 98, ... 1 ms.
        var raw = new LatencyHistogram();
        for (var i = 0; i < 1_000; i++)
        {
            raw.Record(1_000);
        }

        raw.Record(100_000);

        var corrected = raw.CorrectedForCoordinatedOmission(1_000);

        Assert.Equal(1_001, raw.Count);
        Assert.Equal(1_001 + 99, corrected.Count);
        Assert.Equal(1.0, raw.PercentileMs(99), 0.01); // the stall is invisible below p99.9 without the correction
        Assert.InRange(corrected.PercentileMs(99), 80, 100); // ... and shows with it
        Assert.Equal(raw.PercentileMs(50), corrected.PercentileMs(50));
    }

    [Fact]
    public void CorrectedForCoordinatedOmission_NoInterval_CopiesTheCounts()
    {
        var raw = new LatencyHistogram();
        raw.Record(5_000);
        raw.Record(50_000);

        var copy = raw.CorrectedForCoordinatedOmission(0);

        Assert.Equal(2, copy.Count);
        Assert.Equal(raw.PercentileMs(100), copy.PercentileMs(100));
    }

    [Fact]
    public void Record_NegativeAndHugeValues_AreClampedToTheTrackableRange()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(long.MaxValue);

        Assert.Equal(0, histogram.PercentileMs(1));
        Assert.InRange(histogram.Max, LatencyHistogram.HighestMicros, LatencyHistogram.HighestMicros * 1.001);
    }

    [Fact]
    public void Cdf_EndsAtOneAndNeverDecreases()
    {
        var histogram = new LatencyHistogram();
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            histogram.Record(random.Next(100, 50_000));
        }

        var cdf = histogram.Cdf().ToList();

        Assert.Equal(1.0, cdf[^1].Fraction);
        Assert.All(cdf.Zip(cdf.Skip(1)), p => Assert.True(p.First.Ms < p.Second.Ms && p.First.Fraction <= p.Second.Fraction));
    }
}
