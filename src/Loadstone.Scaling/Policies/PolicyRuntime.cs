namespace Loadstone.Scaling;

/// <summary>
/// One policy at work: the metric it watches, the current period's samples, and its alarm (a simple or step
/// policy's) or its two alarms (a target tracking policy's scale-out and scale-in alarms, as Auto Scaling creates them).
/// </summary>
internal sealed class PolicyRuntime
{
    public PolicyRuntime(ScalingPolicy policy)
    {
        Policy = policy;
        switch (policy)
        {
            case SimpleScalingPolicy { Alarm: { } alarm }:
                Metric = alarm.Metric;
                Period = alarm.Period;
                Alarm = NewEvaluator(alarm);
                break;
            case StepScalingPolicy step:
                Metric = step.Alarm.Metric;
                Period = step.Alarm.Period;
                Alarm = NewEvaluator(step.Alarm);
                break;
            case TargetTrackingScalingPolicy tracking:
                Metric = tracking.Metric;
                Period = tracking.Period;
                var target = tracking.TargetValue;
                High = new AlarmEvaluator(tracking.ScaleOutEvaluationPeriods, tracking.ScaleOutEvaluationPeriods,
                    MissingDataTreatment.Missing, v => v > target);
                Low = new AlarmEvaluator(tracking.ScaleInEvaluationPeriods, tracking.ScaleInEvaluationPeriods,
                    MissingDataTreatment.Missing, v => v < target * TargetTrackingScalingPolicy.ScaleInThresholdRatio);
                break;
            default:
                Period = ScalingGroupDefaults.AlarmPeriod;
                break;
        }
    }

    public ScalingPolicy Policy { get; }

    /// <summary>The metric watched; <see langword="null"/> for a simple policy without an alarm.</summary>
    public ScalingMetric? Metric { get; }

    public TimeSpan Period { get; }

    /// <summary>The alarm of a simple or step policy.</summary>
    public AlarmEvaluator? Alarm { get; }

    /// <summary>A target tracking policy's scale-out alarm (above the target).</summary>
    public AlarmEvaluator? High { get; }

    /// <summary>A target tracking policy's scale-in alarm (below 90 % of the target).</summary>
    public AlarmEvaluator? Low { get; }

    public DateTimeOffset PeriodEnd { get; set; }

    /// <summary>Whether a datapoint was added in the current pass.</summary>
    public bool Fired { get; set; }

    private double Sum { get; set; }

    private int Count { get; set; }

    public PolicyDocument Save() => new() { PeriodEnd = PeriodEnd, Alarm = Alarm?.Save(), High = High?.Save(), Low = Low?.Save() };

    /// <summary>Takes the period's end and the alarms' datapoints from the durable state; the current period's samples start over.</summary>
    public void Restore(PolicyDocument document)
    {
        Reset(document.PeriodEnd);
        Alarm?.Restore(document.Alarm);
        High?.Restore(document.High);
        Low?.Restore(document.Low);
    }

    /// <summary>Starts a period ending at <paramref name="periodEnd"/> with no samples.</summary>
    public void Reset(DateTimeOffset periodEnd)
    {
        PeriodEnd = periodEnd;
        Sum = 0;
        Count = 0;
        Fired = false;
    }

    /// <summary>Adds one tick's sample to the current period (a missing or non-finite value is no sample).</summary>
    public void AddSample(double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            Sum += v;
            Count++;
        }
    }

    /// <summary>Closes every period that has ended: its average (or missing data) goes to the alarms.</summary>
    public void ClosePeriods(DateTimeOffset now)
    {
        for (var guard = 0; now >= PeriodEnd && guard < 10_000; guard++)
        {
            double? datapoint = Count > 0 ? Sum / Count : null;
            Sum = 0;
            Count = 0;
            PeriodEnd += Period;
            Alarm?.Add(datapoint);
            High?.Add(datapoint);
            Low?.Add(datapoint);
            Fired = true;
        }
    }

    private static AlarmEvaluator NewEvaluator(ScalingAlarm alarm) =>
        new(alarm.EvaluationPeriods, alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods, alarm.TreatMissingData, alarm.Breaches);
}
