namespace Loadstone.Scaling.Tests;

public sealed class StepScalingTests
{
    private static StepScalingPolicy UpPolicy(string name = "up") => new()
    {
        Name = name,
        Alarm = new ScalingAlarm { Metric = ScalingMetric.AverageInFlightRequests, Threshold = 50, Comparison = AlarmComparison.GreaterThanOrEqualToThreshold },
        StepAdjustments =
        {
            new StepAdjustment(0, 10, 1),
            new StepAdjustment(10, 20, 2),
            new StepAdjustment(20, null, 3),
        },
    };

    private static StepScalingPolicy DownPolicy() => new()
    {
        Name = "down",
        Alarm = new ScalingAlarm { Metric = ScalingMetric.AverageInFlightRequests, Threshold = 20, Comparison = AlarmComparison.LessThanOrEqualToThreshold },
        StepAdjustments =
        {
            new StepAdjustment(-10, 0, -1),
            new StepAdjustment(null, -10, -2),
        },
    };

    [Theory]
    [InlineData(50.0, 1)]   // at the threshold: the lower bound 0 is inclusive above the threshold
    [InlineData(59.99, 1)]
    [InlineData(60.0, 2)]   // the upper bound 10 is exclusive above
    [InlineData(70.0, 3)]
    [InlineData(1000.0, 3)]
    [InlineData(49.0, null)]
    public void FindStep_AboveThreshold_LowerInclusiveUpperExclusive(double value, int? expected) =>
        Assert.Equal(expected, UpPolicy().FindStep(value)?.ScalingAdjustment);

    [Theory]
    [InlineData(20.0, -1)]  // at the threshold: the upper bound 0 is inclusive below the threshold
    [InlineData(10.01, -1)]
    [InlineData(10.0, -2)]  // the lower bound −10 is exclusive below
    [InlineData(0.0, -2)]
    [InlineData(21.0, null)]
    public void FindStep_BelowThreshold_LowerExclusiveUpperInclusive(double value, int? expected) =>
        Assert.Equal(expected, DownPolicy().FindStep(value)?.ScalingAdjustment);

    private static IReadOnlyList<string> Problems(params StepAdjustment[] steps)
    {
        var policy = new StepScalingPolicy
        {
            Name = "s",
            Alarm = new ScalingAlarm { Metric = ScalingMetric.AverageInFlightRequests, Threshold = 0, Comparison = AlarmComparison.GreaterThanThreshold },
        };
        foreach (var s in steps)
        {
            policy.StepAdjustments.Add(s);
        }

        var problems = new List<string>();
        policy.Validate("p", problems);
        return problems;
    }

    [Fact]
    public void Validate_Overlap_Reported() =>
        Assert.Contains("p.StepAdjustments overlap: a step ending at 15 and one starting at 10.", Problems(new(0, 15, 1), new(10, null, 2)));

    [Fact]
    public void Validate_Gap_Reported() =>
        Assert.Contains("p.StepAdjustments leave a gap between 10 and 20.", Problems(new(0, 10, 1), new(20, null, 2)));

    [Fact]
    public void Validate_TwoNullLowerBounds_Reported() =>
        Assert.Contains("p.StepAdjustments: at most one step may have a null MetricIntervalLowerBound.", Problems(new(null, 0, 1), new(null, 10, 2)));

    [Fact]
    public void Validate_TwoNullUpperBounds_Reported() =>
        Assert.Contains("p.StepAdjustments: at most one step may have a null MetricIntervalUpperBound.", Problems(new(0, null, 1), new(10, null, 2)));

    [Fact]
    public void Validate_Contiguous_NoProblem() =>
        Assert.Empty(Problems(new(null, 0, -1), new(0, 10, 1), new(10, null, 2)));

    [Fact]
    public void ExecutePolicy_StepChosenByValue_AppliesItsAdjustment()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 20; o.DesiredCapacity = 4; o.Policies.Add(UpPolicy()); });
        var result = kit.Group.ExecutePolicy("up", metricValue: 65);
        Assert.Equal(6, kit.Group.DesiredCapacity);
        Assert.Contains("metric 65 against threshold 50: step 10..20, +2 instance(s)", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ExecutePolicy_RepeatedWhileWarming_AddsOnlyTheDifference()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 20;
            o.DesiredCapacity = 2;
            o.InstanceWarmup = TimeSpan.FromSeconds(300);
            o.Policies.Add(UpPolicy());
        });
        kit.Advance(TimeSpan.FromMinutes(10)); // the first two are warm

        kit.Group.ExecutePolicy("up", 55); // +1 → 3
        Assert.Equal(3, kit.Group.DesiredCapacity);
        kit.Seconds(60);
        kit.Group.ExecutePolicy("up", 55); // +1 again while the third warms: no change
        Assert.Equal(3, kit.Group.DesiredCapacity);
        kit.Group.ExecutePolicy("up", 65); // +2 from the 2 warm ones → 4: adds the difference
        Assert.Equal(4, kit.Group.DesiredCapacity);
        kit.Seconds(300);
        kit.Group.ExecutePolicy("up", 55); // all warm now: 4 + 1
        Assert.Equal(5, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void ExecutePolicy_ScaleInWhileWarming_Waits()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 20;
            o.DesiredCapacity = 4;
            o.InstanceWarmup = TimeSpan.FromSeconds(120);
            o.Policies.Add(DownPolicy());
        });
        var refused = kit.Group.ExecutePolicy("down", 15);
        Assert.False(refused.Executed);
        Assert.Contains("4 instance(s) are still warming up", refused.Reason, StringComparison.Ordinal);
        kit.Seconds(120);
        Assert.True(kit.Group.ExecutePolicy("down", 15).Executed);
        Assert.Equal(3, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void Alarm_OnCustomMetric_ScalesOnceEachBreachingPeriodWithoutCooldown()
    {
        double? value = 10;
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.Policies.Add(new StepScalingPolicy
            {
                Name = "up",
                Alarm = new ScalingAlarm { Metric = ScalingMetric.Custom("queue", () => value), Threshold = 50, Comparison = AlarmComparison.GreaterThanThreshold, EvaluationPeriods = 2 },
                StepAdjustments = { new StepAdjustment(0, null, 1) },
            });
        });
        kit.Seconds(120);
        Assert.Equal(ScalingAlarmState.Ok, kit.Group.GetAlarmState("up"));
        value = 80;
        kit.Seconds(60);
        Assert.Equal(1, kit.Group.DesiredCapacity);
        kit.Seconds(60);
        Assert.Equal(ScalingAlarmState.Alarm, kit.Group.GetAlarmState("up"));
        Assert.Equal(2, kit.Group.DesiredCapacity);
        kit.Seconds(60);
        Assert.Equal(3, kit.Group.DesiredCapacity);
        value = 10;
        kit.Seconds(120);
        Assert.Equal(ScalingAlarmState.Ok, kit.Group.GetAlarmState("up"));
        Assert.Equal(3, kit.Group.DesiredCapacity);
        Assert.Contains(kit.Group.Activities, a => a.Cause.StartsWith("At 2026-01-01T00:05:00Z step scaling policy 'up' (metric 80 against threshold 50", StringComparison.Ordinal)
            && a.Cause.EndsWith("changed the desired capacity from 2 to 3.", StringComparison.Ordinal));
    }

    [Fact]
    public void SuspendProcesses_AlarmNotification_AlarmDoesNotScale()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.Policies.Add(new StepScalingPolicy
            {
                Name = "up",
                Alarm = new ScalingAlarm { Metric = ScalingMetric.Custom("queue", () => 100), Threshold = 50, Comparison = AlarmComparison.GreaterThanThreshold },
                StepAdjustments = { new StepAdjustment(0, null, 1) },
            });
        });
        kit.Group.SuspendProcesses(ScalingProcesses.AlarmNotification);
        kit.Seconds(180);
        Assert.Equal(ScalingAlarmState.Alarm, kit.Group.GetAlarmState("up"));
        Assert.Equal(1, kit.Group.DesiredCapacity);
    }
}
