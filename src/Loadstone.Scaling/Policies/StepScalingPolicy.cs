namespace Loadstone.Scaling;

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
