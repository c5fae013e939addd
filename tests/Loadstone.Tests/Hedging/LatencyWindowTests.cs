using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Hedging;

/// <summary>The hedging delay's latency window: buckets within 12.5 %, a ten-second window, and the percentile it gives.</summary>
public sealed class LatencyWindowTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(1_000)]
    [InlineData(12_345)]
    [InlineData(100_000_000)]
    public void Bucket_HoldsTheValue_WithinAnEighth(long micros)
    {
        var bucket = LatencyWindow.Bucket(micros);
        var upper = LatencyWindow.UpperEdge(bucket);
        var lower = bucket == 0 ? 0 : LatencyWindow.UpperEdge(bucket - 1) + 1;

        Assert.InRange(micros, lower, upper);
        Assert.True(upper - lower <= Math.Max(1, upper / 8), $"{lower}..{upper}");
    }

    [Fact]
    public void Percentile_TooFewSamples_Null()
    {
        var time = TestClock.Create();
        var window = new LatencyWindow(time);
        for (var i = 0; i < LatencyWindow.MinimumSamples - 1; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(5).Ticks, time.GetTimestamp());
        }

        Assert.Null(window.Percentile(95));
    }

    [Fact]
    public void Percentile_P95_TheUpperEdgeOfTheBucketHoldingThe95thValue()
    {
        var time = TestClock.Create();
        var window = new LatencyWindow(time);
        for (var i = 1; i <= 200; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(i).Ticks, time.GetTimestamp()); // 1 ms .. 200 ms
        }

        var p95 = window.Percentile(95)!.Value;

        // The 190th of 200 is 190 ms; its bucket (8 per power of two) ends at 196.607 ms.
        Assert.InRange(p95.TotalMilliseconds, 190, 190 * 1.125);
        Assert.Equal(TimeSpan.FromMicroseconds(LatencyWindow.UpperEdge(LatencyWindow.Bucket(190_000))), p95);
    }

    [Fact]
    public void Percentile_SamplesOlderThanTenSeconds_Forgotten()
    {
        var time = TestClock.Create();
        var window = new LatencyWindow(time);
        for (var i = 0; i < 100; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(500).Ticks, time.GetTimestamp());
        }

        time.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 100; i++)
        {
            window.Record(TimeSpan.FromMilliseconds(2).Ticks, time.GetTimestamp());
        }

        Assert.True(window.Percentile(95)!.Value > TimeSpan.FromMilliseconds(400)); // both seconds in the window
        time.Advance(TimeSpan.FromSeconds(5)); // the first second leaves it
        Assert.True(window.Percentile(95)!.Value < TimeSpan.FromMilliseconds(3));
    }

    [Fact]
    public void HedgingDelay_ByDefault_The97Point5thPercentile_HalfTheExtraLoad()
    {
        var time = TestClock.Create();
        var policy = new HedgingPolicy(new HedgingOptions { Enabled = true }, time, null);
        // 190 latencies of 10 ms, 5 of 100 ms, 5 of 1 s: the p95 is 10 ms, the p97.5 is 100 ms.
        foreach (var (ms, count) in new[] { (10, 190), (100, 5), (1000, 5) })
        {
            for (var i = 0; i < count; i++)
            {
                policy.Latencies.Record(TimeSpan.FromMilliseconds(ms).Ticks, time.GetTimestamp());
            }
        }

        policy.Refresh();

        // Half the 5 % budget in a steady state: the 195th of 200, not the 190th.
        Assert.Equal(TimeSpan.FromMicroseconds(LatencyWindow.UpperEdge(LatencyWindow.Bucket(100_000))), policy.Delay);
        Assert.Equal(97.5, HedgingPolicy.DelayPercentile(HedgingOptions.DefaultMaxExtraLoadPercent));
    }
}
