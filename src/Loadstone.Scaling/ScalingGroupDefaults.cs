namespace Loadstone.Scaling;

/// <summary>
/// The default values of a scaling group's settings, in one place: <see cref="ScalingGroupOptions"/>, its policies,
/// alarms, lifecycle hooks and instance refresh. Each setting's documentation names the constant it defaults to.
/// </summary>
public static class ScalingGroupDefaults
{
    /// <summary>The default <see cref="ScalingGroupOptions.MinSize"/>: 1.</summary>
    public const int MinSize = 1;

    /// <summary>The default <see cref="ScalingGroupOptions.MaxSize"/>: 1.</summary>
    public const int MaxSize = 1;

    /// <summary>The default <see cref="ScalingGroupOptions.MaxActivityHistory"/>: 1,000 activities.</summary>
    public const int MaxActivityHistory = 1000;

    /// <summary>The default <see cref="ScalingAlarm.EvaluationPeriods"/>: 1.</summary>
    public const int AlarmEvaluationPeriods = 1;

    /// <summary>The default <see cref="TargetTrackingScalingPolicy.ScaleOutEvaluationPeriods"/>: 3, as Auto Scaling's scale-out alarm.</summary>
    public const int ScaleOutEvaluationPeriods = 3;

    /// <summary>The default <see cref="TargetTrackingScalingPolicy.ScaleInEvaluationPeriods"/>: 15, as Auto Scaling's scale-in alarm.</summary>
    public const int ScaleInEvaluationPeriods = 15;

    /// <summary>The default minimum healthy percentage of <see cref="ScalingGroup.StartInstanceRefresh"/>: 90, as Auto Scaling.</summary>
    public const int InstanceRefreshMinHealthyPercentage = 90;

    /// <summary>The default <see cref="ScalingGroupOptions.DefaultCooldown"/>: 300 s, as Auto Scaling.</summary>
    public static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(300);

    /// <summary>The default <see cref="ScalingGroupOptions.ReconcileInterval"/>: 1 s.</summary>
    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="ScalingGroupOptions.LaunchRetryDelay"/>: 10 s.</summary>
    public static readonly TimeSpan LaunchRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="LifecycleHook.HeartbeatTimeout"/>: 3,600 s, as Auto Scaling.</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(3600);

    /// <summary>The default <see cref="ScalingAlarm.Period"/> and <see cref="TargetTrackingScalingPolicy.Period"/>: 60 s.</summary>
    public static readonly TimeSpan AlarmPeriod = TimeSpan.FromSeconds(60);
}
