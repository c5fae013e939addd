namespace Loadstone.Scaling;

/// <summary>
/// An alarm on a <see cref="ScalingMetric"/> that triggers a simple or step scaling policy, like a CloudWatch metric
/// alarm: ALARM when at least <see cref="DatapointsToAlarm"/> of the last <see cref="EvaluationPeriods"/> datapoints breach.
/// </summary>
public sealed class ScalingAlarm
{
    /// <summary>The metric watched.</summary>
    public required ScalingMetric Metric { get; init; }

    /// <summary>The threshold; step bounds are relative to it.</summary>
    public required double Threshold { get; init; }

    /// <summary>How datapoints are compared with <see cref="Threshold"/>.</summary>
    public required AlarmComparison Comparison { get; init; }

    /// <summary>
    /// The length of one datapoint. The default is <see cref="ScalingGroupDefaults.AlarmPeriod"/> (60 s); the range is
    /// 1 s to 1 day.
    /// </summary>
    public TimeSpan Period { get; init; } = ScalingGroupDefaults.AlarmPeriod;

    /// <summary>
    /// N: how many recent datapoints are evaluated. The default is <see cref="ScalingGroupDefaults.AlarmEvaluationPeriods"/>
    /// (1); the range is 1 to 1,440.
    /// </summary>
    public int EvaluationPeriods { get; init; } = ScalingGroupDefaults.AlarmEvaluationPeriods;

    /// <summary>
    /// M: how many of the last <see cref="EvaluationPeriods"/> must breach. The default, <see langword="null"/>, means all
    /// of them; the range is 1 to <see cref="EvaluationPeriods"/>.
    /// </summary>
    public int? DatapointsToAlarm { get; init; }

    /// <summary>How missing periods count. The default is <see cref="MissingDataTreatment.Missing"/>.</summary>
    public MissingDataTreatment TreatMissingData { get; init; } = MissingDataTreatment.Missing;

    internal bool IsUpward => Comparison is AlarmComparison.GreaterThanOrEqualToThreshold or AlarmComparison.GreaterThanThreshold;

    internal bool Breaches(double value) => Comparison switch
    {
        AlarmComparison.GreaterThanOrEqualToThreshold => value >= Threshold,
        AlarmComparison.GreaterThanThreshold => value > Threshold,
        AlarmComparison.LessThanThreshold => value < Threshold,
        _ => value <= Threshold,
    };

    internal void Validate(string where, List<string> problems)
    {
        if (Metric is null)
        {
            problems.Add($"{where}.Metric is required.");
        }

        if (!double.IsFinite(Threshold))
        {
            problems.Add($"{where}.Threshold ({Threshold}) must be a finite number.");
        }

        if (Period < TimeSpan.FromSeconds(1) || Period > TimeSpan.FromDays(1))
        {
            problems.Add($"{where}.Period ({Period}) must be between 1 s and 1 day.");
        }

        if (EvaluationPeriods is < 1 or > 1440)
        {
            problems.Add($"{where}.EvaluationPeriods ({EvaluationPeriods}) must be between 1 and 1440.");
        }

        if (DatapointsToAlarm is { } m && (m < 1 || m > EvaluationPeriods))
        {
            problems.Add($"{where}.DatapointsToAlarm ({m}) must be between 1 and EvaluationPeriods ({EvaluationPeriods}).");
        }
    }
}
