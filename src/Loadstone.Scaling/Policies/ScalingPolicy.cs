namespace Loadstone.Scaling;

/// <summary>How a simple or step scaling adjustment is read, like the Auto Scaling AdjustmentType.</summary>
public enum AdjustmentType
{
    /// <summary>Add (or remove, if negative) this many instances.</summary>
    ChangeInCapacity,

    /// <summary>Set the desired capacity to this value.</summary>
    ExactCapacity,

    /// <summary>
    /// Add (or remove) this percentage of the current capacity. A result above 1 is rounded down, between 0 and 1
    /// becomes 1, between −1 and 0 becomes −1, below −1 is rounded toward zero.
    /// </summary>
    PercentChangeInCapacity,
}

/// <summary>
/// A dynamic scaling policy of a <see cref="ScalingGroup"/>: <see cref="SimpleScalingPolicy"/>,
/// <see cref="StepScalingPolicy"/> or <see cref="TargetTrackingScalingPolicy"/>. When several act in the same period,
/// the one giving the largest capacity wins.
/// </summary>
public abstract class ScalingPolicy
{
    private protected ScalingPolicy()
    {
    }

    /// <summary>The policy's name, unique within the group; used by <see cref="ScalingGroup.ExecutePolicy"/> and in causes.</summary>
    public required string Name { get; init; }

    internal abstract void Validate(string where, List<string> problems);

    private protected static void ValidateMagnitude(string where, AdjustmentType type, int? magnitude, List<string> problems)
    {
        if (magnitude is { } m)
        {
            if (type != AdjustmentType.PercentChangeInCapacity)
            {
                problems.Add($"{where}.MinAdjustmentMagnitude applies to PercentChangeInCapacity only (AdjustmentType is {type}).");
            }
            else if (m < 1)
            {
                problems.Add($"{where}.MinAdjustmentMagnitude ({m}) must be at least 1.");
            }
        }
    }
}

/// <summary>
/// Changes the desired capacity by one fixed adjustment, then waits for the activity to finish and the cooldown to
/// pass before acting again; like an Auto Scaling simple scaling policy.
/// </summary>
public sealed class SimpleScalingPolicy : ScalingPolicy
{
    /// <summary>How <see cref="ScalingAdjustment"/> is read. The default is <see cref="AdjustmentType.ChangeInCapacity"/>.</summary>
    public AdjustmentType AdjustmentType { get; init; } = AdjustmentType.ChangeInCapacity;

    /// <summary>The adjustment: instances, a capacity, or a percentage, as <see cref="AdjustmentType"/> says.</summary>
    public required int ScalingAdjustment { get; init; }

    /// <summary>
    /// The least number of instances a <see cref="AdjustmentType.PercentChangeInCapacity"/> adjustment changes;
    /// <see langword="null"/> (the default) for no minimum; at least 1.
    /// </summary>
    public int? MinAdjustmentMagnitude { get; init; }

    /// <summary>
    /// The cooldown after this policy's activity completes; <see langword="null"/> (the default) uses
    /// <see cref="ScalingGroupOptions.DefaultCooldown"/>. The range is 0 to 1 day.
    /// </summary>
    public TimeSpan? Cooldown { get; init; }

    /// <summary>The alarm that runs the policy; <see langword="null"/> to run it only through <see cref="ScalingGroup.ExecutePolicy"/>.</summary>
    public ScalingAlarm? Alarm { get; init; }

    internal override void Validate(string where, List<string> problems)
    {
        ValidateMagnitude(where, AdjustmentType, MinAdjustmentMagnitude, problems);
        if (AdjustmentType == AdjustmentType.ExactCapacity && ScalingAdjustment < 0)
        {
            problems.Add($"{where}.ScalingAdjustment ({ScalingAdjustment}) must not be negative for ExactCapacity.");
        }

        if (Cooldown is { } c && (c < TimeSpan.Zero || c > TimeSpan.FromDays(1)))
        {
            problems.Add($"{where}.Cooldown ({c}) must be between 0 and 1 day.");
        }

        Alarm?.Validate($"{where}.Alarm", problems);
    }
}

/// <summary>
/// One step of a <see cref="StepScalingPolicy"/>: an interval of the metric relative to the alarm threshold, and
/// the adjustment for it. A <see langword="null"/> bound is infinite.
/// </summary>
/// <param name="MetricIntervalLowerBound">The lower bound of (metric − threshold); <see langword="null"/> for −∞.</param>
/// <param name="MetricIntervalUpperBound">The upper bound of (metric − threshold); <see langword="null"/> for +∞.</param>
/// <param name="ScalingAdjustment">The adjustment for this step, read as the policy's <see cref="AdjustmentType"/>.</param>
public sealed record StepAdjustment(double? MetricIntervalLowerBound, double? MetricIntervalUpperBound, int ScalingAdjustment);

/// <summary>
/// Changes the desired capacity by an adjustment that depends on how far the metric is from the alarm threshold;
/// keeps responding while an activity runs, without cooldown; like an Auto Scaling step scaling policy.
/// </summary>
/// <remarks>
/// Bounds are relative to <see cref="ScalingAlarm.Threshold"/>. When the alarm watches for values above the
/// threshold, a lower bound is inclusive and an upper bound exclusive; for values below, the reverse. Steps may not
/// overlap or leave gaps, and at most one step has a null lower bound and one a null upper bound. While instances
/// warm up they count toward the current capacity, so a repeated alarm adds only the difference.
/// </remarks>
public sealed class StepScalingPolicy : ScalingPolicy
{
    /// <summary>How adjustments are read. The default is <see cref="AdjustmentType.ChangeInCapacity"/>.</summary>
    public AdjustmentType AdjustmentType { get; init; } = AdjustmentType.ChangeInCapacity;

    /// <summary>The steps; at least one.</summary>
    public IList<StepAdjustment> StepAdjustments { get; init; } = [];

    /// <summary>The least number of instances a percent adjustment changes; <see langword="null"/> (the default) for none.</summary>
    public int? MinAdjustmentMagnitude { get; init; }

    /// <summary>The alarm that runs the policy and whose threshold the steps are relative to.</summary>
    public required ScalingAlarm Alarm { get; init; }

    /// <summary>Finds the step for a metric value; <see langword="null"/> if none covers it.</summary>
    internal StepAdjustment? FindStep(double metricValue)
    {
        var diff = metricValue - Alarm.Threshold;
        var above = Alarm.IsUpward;
        foreach (var step in StepAdjustments)
        {
            var lo = step.MetricIntervalLowerBound ?? double.NegativeInfinity;
            var hi = step.MetricIntervalUpperBound ?? double.PositiveInfinity;
            var inside = above ? diff >= lo && diff < hi : diff > lo && diff <= hi;
            if (inside)
            {
                return step;
            }
        }

        return null;
    }

    internal override void Validate(string where, List<string> problems)
    {
        ValidateMagnitude(where, AdjustmentType, MinAdjustmentMagnitude, problems);
        if (Alarm is null)
        {
            problems.Add($"{where}.Alarm is required.");
        }
        else
        {
            Alarm.Validate($"{where}.Alarm", problems);
        }

        if (StepAdjustments is null || StepAdjustments.Count == 0)
        {
            problems.Add($"{where}.StepAdjustments must have at least one step.");
            return;
        }

        if (StepAdjustments.Count(s => s.MetricIntervalLowerBound is null) > 1)
        {
            problems.Add($"{where}.StepAdjustments: at most one step may have a null MetricIntervalLowerBound.");
        }

        if (StepAdjustments.Count(s => s.MetricIntervalUpperBound is null) > 1)
        {
            problems.Add($"{where}.StepAdjustments: at most one step may have a null MetricIntervalUpperBound.");
        }

        foreach (var s in StepAdjustments)
        {
            if (s.MetricIntervalLowerBound is { } lo && s.MetricIntervalUpperBound is { } hi && lo >= hi)
            {
                problems.Add($"{where}.StepAdjustments: step [{lo}, {hi}) has a lower bound not below its upper bound.");
            }
        }

        var ordered = StepAdjustments.OrderBy(s => s.MetricIntervalLowerBound ?? double.NegativeInfinity).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var previousUpper = ordered[i - 1].MetricIntervalUpperBound ?? double.PositiveInfinity;
            var lower = ordered[i].MetricIntervalLowerBound ?? double.NegativeInfinity;
            if (previousUpper > lower)
            {
                problems.Add($"{where}.StepAdjustments overlap: a step ending at {Format(previousUpper)} and one starting at {Format(lower)}.");
            }
            else if (previousUpper < lower)
            {
                problems.Add($"{where}.StepAdjustments leave a gap between {Format(previousUpper)} and {Format(lower)}.");
            }
        }

        static string Format(double v) => double.IsInfinity(v) ? "null" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

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

    /// <summary>The datapoint length. The default is 60 s; the range is 1 s to 1 hour.</summary>
    public TimeSpan Period { get; init; } = ScalingAlarm.DefaultPeriod;

    /// <summary>Breaching periods in a row before scaling out. The default is 3 (3 minutes); the range is 1 to 1,440.</summary>
    public int ScaleOutEvaluationPeriods { get; init; } = 3;

    /// <summary>Breaching periods in a row before scaling in. The default is 15 (15 minutes); the range is 1 to 1,440.</summary>
    public int ScaleInEvaluationPeriods { get; init; } = 15;

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

/// <summary>The result of <see cref="ScalingGroup.ExecutePolicy"/> or <see cref="ScalingGroup.SetDesiredCapacity"/>.</summary>
/// <param name="Executed">Whether the desired capacity was (re)set; <see langword="false"/> when refused (cooldown, activity, suspended).</param>
/// <param name="PreviousDesiredCapacity">The desired capacity before.</param>
/// <param name="DesiredCapacity">The desired capacity after.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record ScalingPolicyResult(bool Executed, int PreviousDesiredCapacity, int DesiredCapacity, string Reason);

/// <summary>The arithmetic of adjustments, as Auto Scaling does it.</summary>
internal static class ScalingMath
{
    /// <summary>The change in instances for an adjustment on <paramref name="current"/> (before clamping).</summary>
    public static int Change(int current, AdjustmentType type, int adjustment, int? minAdjustmentMagnitude)
    {
        switch (type)
        {
            case AdjustmentType.ExactCapacity:
                return adjustment - current;
            case AdjustmentType.ChangeInCapacity:
                return adjustment;
            default:
                var raw = current * adjustment / 100.0;
                int change = raw switch
                {
                    > 0 and < 1 => 1,
                    < 0 and > -1 => -1,
                    _ => (int)Math.Truncate(raw),
                };
                if (minAdjustmentMagnitude is { } m && change != 0 && Math.Abs(change) < m)
                {
                    change = Math.Sign(change) * m;
                }

                return change;
        }
    }

    public static int Clamp(int value, int min, int max) => Math.Min(Math.Max(value, min), max);
}
