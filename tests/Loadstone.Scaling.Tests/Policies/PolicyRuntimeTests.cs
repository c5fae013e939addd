namespace Loadstone.Scaling.Tests;

public sealed class PolicyRuntimeTests
{
    private static readonly ScalingMetric s_metric = ScalingMetric.Custom("queue", () => null);

    [Fact]
    public void ClosePeriods_AveragesTheSamplesOfAPeriod()
    {
        var runtime = new PolicyRuntime(new StepScalingPolicy
        {
            Name = "step",
            Alarm = new ScalingAlarm { Metric = s_metric, Threshold = 10, Comparison = AlarmComparison.GreaterThanThreshold, Period = TimeSpan.FromSeconds(60) },
            StepAdjustments = { new StepAdjustment(0, null, 1) },
        }) { PeriodEnd = TestClock.Start.AddSeconds(60) };

        runtime.AddSample(8);
        runtime.AddSample(14);
        runtime.AddSample(double.NaN); // not a sample
        runtime.AddSample(null);
        runtime.ClosePeriods(TestClock.Start.AddSeconds(59));
        Assert.False(runtime.Fired);

        runtime.ClosePeriods(TestClock.Start.AddSeconds(60));
        Assert.True(runtime.Fired);
        Assert.Equal(11, runtime.Alarm!.LastValue);
        Assert.Equal(ScalingAlarmState.Alarm, runtime.Alarm.State);
        Assert.Equal(TestClock.Start.AddSeconds(120), runtime.PeriodEnd);
    }

    [Fact]
    public void ClosePeriods_SeveralPeriodsWithoutSamples_MissingDatapoints()
    {
        var runtime = new PolicyRuntime(new SimpleScalingPolicy
        {
            Name = "simple",
            ScalingAdjustment = 1,
            Alarm = new ScalingAlarm { Metric = s_metric, Threshold = 10, Comparison = AlarmComparison.GreaterThanThreshold, EvaluationPeriods = 2 },
        }) { PeriodEnd = TestClock.Start.AddSeconds(60) };
        runtime.AddSample(20);
        runtime.ClosePeriods(TestClock.Start.AddSeconds(60));
        Assert.Equal(ScalingAlarmState.InsufficientData, runtime.Alarm!.State); // one of two datapoints so far

        runtime.ClosePeriods(TestClock.Start.AddSeconds(180)); // two periods pass without samples
        Assert.Equal(ScalingAlarmState.InsufficientData, runtime.Alarm.State);
        Assert.Equal(TestClock.Start.AddSeconds(240), runtime.PeriodEnd);
    }

    [Fact]
    public void Constructor_TargetTracking_ScaleOutAboveTargetScaleInBelowNinetyPercent()
    {
        var runtime = new PolicyRuntime(new TargetTrackingScalingPolicy
        {
            Name = "tt",
            Metric = s_metric,
            TargetValue = 10,
            ScaleOutEvaluationPeriods = 1,
            ScaleInEvaluationPeriods = 1,
        }) { PeriodEnd = TestClock.Start.AddSeconds(60) };

        runtime.AddSample(8.9);
        runtime.ClosePeriods(TestClock.Start.AddSeconds(60));
        Assert.Equal((ScalingAlarmState.Ok, ScalingAlarmState.Alarm), (runtime.High!.State, runtime.Low!.State));

        runtime.AddSample(9.5);
        runtime.ClosePeriods(TestClock.Start.AddSeconds(120));
        Assert.Equal((ScalingAlarmState.Ok, ScalingAlarmState.Ok), (runtime.High.State, runtime.Low.State));

        runtime.AddSample(10.5);
        runtime.ClosePeriods(TestClock.Start.AddSeconds(180));
        Assert.Equal((ScalingAlarmState.Alarm, ScalingAlarmState.Ok), (runtime.High.State, runtime.Low.State));
    }
}
