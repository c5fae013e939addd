namespace Loadstone.Scaling;

/// <summary>The running state of one alarm: its recent datapoints and its state.</summary>
internal sealed class AlarmEvaluator(int evaluationPeriods, int datapointsToAlarm, MissingDataTreatment treatment, Func<double, bool> breaches)
{
    // Newest last. For Ignore only datapoints that exist are kept.
    private readonly Queue<double?> _window = new();

    public ScalingAlarmState State { get; private set; } = ScalingAlarmState.InsufficientData;

    public double? LastValue { get; private set; }

    public AlarmDocument Save() => new() { Window = [.. _window], State = State, LastValue = LastValue };

    public void Restore(AlarmDocument? document)
    {
        _window.Clear();
        if (document is null)
        {
            State = ScalingAlarmState.InsufficientData;
            LastValue = null;
            return;
        }

        foreach (var datapoint in document.Window.TakeLast(evaluationPeriods))
        {
            _window.Enqueue(datapoint);
        }

        State = document.State;
        LastValue = document.LastValue;
    }

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
