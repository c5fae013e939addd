namespace Loadstone.Scaling;

/// <summary>
/// Keeps a metric near a target value, like an Auto Scaling target tracking policy: scales out fast and in
/// proportion (rounding the capacity up), scales in slowly (a longer alarm), never below what keeps the metric at
/// or under the target.
/// </summary>
/// <remarks>
/// Two alarms are kept, as Auto Scaling creates them: scale-out when the metric is above the target for
/// <see cref="ScaleOutEvaluationPeriods"/> periods in a row, scale-in when it is below 90 % of the target for
/// <see cref="ScaleInEvaluationPeriods"/>. The new capacity is ⌈current × metric ÷ target⌉ over the instances past
/// warmup. With several target tracking policies, the group scales out if any asks, and in only if all agree.
/// </remarks>
public sealed class TargetTrackingScalingPolicy : ScalingPolicy
{
    /// <summary>The share of the target under which the scale-in alarm breaches: 0.9.</summary>
    public const double ScaleInThresholdRatio = 0.9;

    /// <summary>The metric kept at the target.</summary>
    public required ScalingMetric Metric { get; init; }

    /// <summary>The target value; greater than 0.</summary>
    public required double TargetValue { get; init; }

    /// <summary>When <see langword="true"/>, the policy never scales in. The default is <see langword="false"/>.</summary>
    public bool DisableScaleIn { get; init; }

    /// <summary>
    /// The datapoint length. The default is <see cref="ScalingGroupDefaults.AlarmPeriod"/> (60 s); the range is 1 s to
    /// 1 hour.
    /// </summary>
    public TimeSpan Period { get; init; } = ScalingGroupDefaults.AlarmPeriod;

    /// <summary>
    /// Breaching periods in a row before scaling out. The default is
    /// <see cref="ScalingGroupDefaults.ScaleOutEvaluationPeriods"/> (3, i.e. 3 minutes); the range is 1 to 1,440.
    /// </summary>
    public int ScaleOutEvaluationPeriods { get; init; } = ScalingGroupDefaults.ScaleOutEvaluationPeriods;

    /// <summary>
    /// Breaching periods in a row before scaling in. The default is
    /// <see cref="ScalingGroupDefaults.ScaleInEvaluationPeriods"/> (15, i.e. 15 minutes); the range is 1 to 1,440.
    /// </summary>
    public int ScaleInEvaluationPeriods { get; init; } = ScalingGroupDefaults.ScaleInEvaluationPeriods;

    internal override void Validate(string where, List<string> problems)
    {
        if (Metric is null)
        {
            problems.Add($"{where}.Metric is required.");
        }

        if (!double.IsFinite(TargetValue) || TargetValue <= 0)
        {
            problems.Add($"{where}.TargetValue ({TargetValue}) must be greater than 0.");
        }

        if (Period < TimeSpan.FromSeconds(1) || Period > TimeSpan.FromHours(1))
        {
            problems.Add($"{where}.Period ({Period}) must be between 1 s and 1 hour.");
        }

        if (ScaleOutEvaluationPeriods is < 1 or > 1440)
        {
            problems.Add($"{where}.ScaleOutEvaluationPeriods ({ScaleOutEvaluationPeriods}) must be between 1 and 1440.");
        }

        if (ScaleInEvaluationPeriods is < 1 or > 1440)
        {
            problems.Add($"{where}.ScaleInEvaluationPeriods ({ScaleInEvaluationPeriods}) must be between 1 and 1440.");
        }
    }
}
