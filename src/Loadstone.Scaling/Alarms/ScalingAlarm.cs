namespace Loadstone.Scaling;

/// <summary>How an alarm compares a datapoint with its threshold.</summary>
public enum AlarmComparison
{
    /// <summary>Breaching when the value is ≥ the threshold.</summary>
    GreaterThanOrEqualToThreshold,

    /// <summary>Breaching when the value is &gt; the threshold.</summary>
    GreaterThanThreshold,

    /// <summary>Breaching when the value is &lt; the threshold.</summary>
    LessThanThreshold,

    /// <summary>Breaching when the value is ≤ the threshold.</summary>
    LessThanOrEqualToThreshold,
}

/// <summary>How an alarm treats a period without data, like CloudWatch's TreatMissingData.</summary>
public enum MissingDataTreatment
{
    /// <summary>
    /// The default: missing periods are neither good nor bad; the alarm decides on the datapoints it has and goes to
    /// <see cref="ScalingAlarmState.InsufficientData"/> when every period of the window is missing.
    /// </summary>
    Missing,

    /// <summary>Missing periods count as good (within the threshold).</summary>
    NotBreaching,

    /// <summary>Missing periods count as bad (breaching).</summary>
    Breaching,

    /// <summary>Missing periods are skipped: the window reaches back to the last datapoints that exist, and with none the state is kept.</summary>
    Ignore,
}

/// <summary>The state of an alarm.</summary>
public enum ScalingAlarmState
{
    /// <summary>Not enough data to decide (the start, or every period missing).</summary>
    InsufficientData,

    /// <summary>Within the threshold.</summary>
    Ok,

    /// <summary>Breaching: the policy acts once per period while in this state.</summary>
    Alarm,
}

/// <summary>
/// An alarm on a <see cref="ScalingMetric"/> that triggers a simple or step scaling policy, like a CloudWatch metric
/// alarm: ALARM when at least <see cref="DatapointsToAlarm"/> of the last <see cref="EvaluationPeriods"/> datapoints breach.
/// </summary>
public sealed class ScalingAlarm
{
    /// <summary>The default <see cref="Period"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(60);

    /// <summary>The metric watched.</summary>
    public required ScalingMetric Metric { get; init; }

    /// <summary>The threshold; step bounds are relative to it.</summary>
    public required double Threshold { get; init; }

    /// <summary>How datapoints are compared with <see cref="Threshold"/>.</summary>
    public required AlarmComparison Comparison { get; init; }

    /// <summary>The length of one datapoint. The default is 60 s; the range is 1 s to 1 day.</summary>
    public TimeSpan Period { get; init; } = DefaultPeriod;

    /// <summary>N: how many recent datapoints are evaluated. The default is 1; the range is 1 to 1,440.</summary>
    public int EvaluationPeriods { get; init; } = 1;

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

/// <summary>The running state of one alarm: its recent datapoints and its state.</summary>
internal sealed class AlarmEvaluator(int evaluationPeriods, int datapointsToAlarm, MissingDataTreatment treatment, Func<double, bool> breaches)
{
    // Newest last. For Ignore only datapoints that exist are kept.
    private readonly Queue<double?> _window = new();

    public ScalingAlarmState State { get; private set; } = ScalingAlarmState.InsufficientData;

    public double? LastValue { get; private set; }

    public ScalingAlarmState Add(double? datapoint)
    {
        if (datapoint is not null)
        {
            LastValue = datapoint;
        }

        if (datapoint is not null || treatment != MissingDataTreatment.Ignore)
        {
            _window.Enqueue(datapoint);
            while (_window.Count > evaluationPeriods)
            {
                _window.Dequeue();
            }
        }

        State = Evaluate();
        return State;
    }

    private ScalingAlarmState Evaluate()
    {
        // Periods the alarm has not lived through yet count as missing.
        var missing = evaluationPeriods - _window.Count + _window.Count(d => d is null);
        var breaching = _window.Count(d => d is { } v && breaches(v));
        switch (treatment)
        {
            case MissingDataTreatment.Breaching:
                breaching += _window.Count(d => d is null);
                break;
            case MissingDataTreatment.Ignore when _window.Count == 0:
                return State;
            case MissingDataTreatment.Missing when missing == evaluationPeriods:
                return ScalingAlarmState.InsufficientData;
        }

        if (breaching >= datapointsToAlarm)
        {
            return ScalingAlarmState.Alarm;
        }

        // Still undecided while the window has not filled and the missing periods could yet tip it.
        var notYetSeen = evaluationPeriods - _window.Count;
        return treatment != MissingDataTreatment.Ignore && notYetSeen > 0 && breaching + notYetSeen >= datapointsToAlarm && State == ScalingAlarmState.InsufficientData
            ? ScalingAlarmState.InsufficientData
            : ScalingAlarmState.Ok;
    }
}
