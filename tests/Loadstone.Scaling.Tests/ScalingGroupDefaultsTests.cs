namespace Loadstone.Scaling.Tests;

/// <summary>The settings default to the constants their documentation names.</summary>
public sealed class ScalingGroupDefaultsTests
{
    [Fact]
    public void ScalingGroupOptions_DefaultToScalingGroupDefaults()
    {
        var options = new ScalingGroupOptions();
        Assert.Equal(ScalingGroupDefaults.MinSize, options.MinSize);
        Assert.Equal(ScalingGroupDefaults.MaxSize, options.MaxSize);
        Assert.Null(options.DesiredCapacity);
        Assert.Equal(ScalingGroupDefaults.Cooldown, options.DefaultCooldown);
        Assert.Equal(TimeSpan.FromSeconds(300), ScalingGroupDefaults.Cooldown);
        Assert.Equal(ScalingGroupDefaults.ReconcileInterval, options.ReconcileInterval);
        Assert.Equal(ScalingGroupDefaults.LaunchRetryDelay, options.LaunchRetryDelay);
        Assert.Equal(ScalingGroupDefaults.MaxActivityHistory, options.MaxActivityHistory);
        Assert.True(options.StopInstancesOnDispose);
    }

    [Fact]
    public void PoliciesAlarmsAndHooks_DefaultToScalingGroupDefaults()
    {
        var metric = ScalingMetric.Custom("m", () => 1);
        var alarm = new ScalingAlarm { Metric = metric, Threshold = 1, Comparison = AlarmComparison.GreaterThanThreshold };
        var tracking = new TargetTrackingScalingPolicy { Name = "t", Metric = metric, TargetValue = 1 };
        var hook = new LifecycleHook { Name = "h", Transition = LifecycleTransition.Launching };

        Assert.Equal((ScalingGroupDefaults.AlarmPeriod, ScalingGroupDefaults.AlarmEvaluationPeriods), (alarm.Period, alarm.EvaluationPeriods));
        Assert.Equal(ScalingGroupDefaults.AlarmPeriod, tracking.Period);
        Assert.Equal((3, 15), (tracking.ScaleOutEvaluationPeriods, tracking.ScaleInEvaluationPeriods));
        Assert.Equal((ScalingGroupDefaults.ScaleOutEvaluationPeriods, ScalingGroupDefaults.ScaleInEvaluationPeriods), (tracking.ScaleOutEvaluationPeriods, tracking.ScaleInEvaluationPeriods));
        Assert.Equal(ScalingGroupDefaults.HeartbeatTimeout, hook.HeartbeatTimeout);
        Assert.Equal(LifecycleActionResult.Abandon, hook.DefaultResult);
    }

    [Fact]
    public void ProcessLauncherOptions_DefaultToProcessLauncherDefaults()
    {
        var options = new ProcessLauncherOptions { FileName = "dotnet" };
        Assert.Equal(ProcessLauncherDefaults.Host, options.Host);
        Assert.Equal(ProcessLauncherDefaults.ReadinessPath, options.ReadinessPath);
        Assert.Equal(ProcessLauncherDefaults.ReadinessTimeout, options.ReadinessTimeout);
        Assert.Equal(ProcessLauncherDefaults.ReadinessProbeInterval, options.ReadinessProbeInterval);
        Assert.Equal(ProcessLauncherDefaults.StopTimeout, options.StopTimeout);
        Assert.Equal(ProcessLauncherDefaults.LaunchTemplateVersion, options.LaunchTemplateVersion);
    }
}
