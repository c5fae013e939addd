using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// A group's activity history: starts and ends activities, keeps the most recent ones, logs them, counts ended ones
/// on the meter and raises the group's events once the lock is released. Called under the group's lock.
/// </summary>
internal sealed partial class ActivityLog(
    string group,
    int capacity,
    ChangeRunner runner,
    ILogger logger,
    ScalingMetrics metrics,
    Action<ScalingActivity> started,
    Action<ScalingActivity> ended)
{
    private readonly Queue<ScalingActivity> _activities = new();
    private long _sequence;

    /// <summary>The kept activities, oldest first.</summary>
    public IReadOnlyList<ScalingActivity> Snapshot() => [.. _activities];

    /// <summary>The id of the last activity started.</summary>
    public long Sequence => _sequence;

    /// <summary>Replaces the history with one from the group's durable state (no events, logs or counts: nothing happened here).</summary>
    public void Restore(long sequence, IEnumerable<ScalingActivity> activities)
    {
        _activities.Clear();
        foreach (var activity in activities.OrderBy(a => a.Id))
        {
            _activities.Enqueue(activity);
        }

        while (_activities.Count > capacity)
        {
            _activities.Dequeue();
        }

        _sequence = sequence;
    }

    public ScalingActivity Start(ScalingActivityKind kind, string description, string cause, DateTimeOffset now, string? instanceId)
    {
        var activity = new ScalingActivity(++_sequence, kind, description, cause, now, instanceId);
        _activities.Enqueue(activity);
        while (_activities.Count > capacity)
        {
            _activities.Dequeue();
        }

        Log.ActivityStarted(logger, group, description, cause);
        runner.Defer(() => started(activity));
        return activity;
    }

    /// <summary>Ends an activity still in progress (an ended one is left as it is).</summary>
    public void End(ScalingActivity activity, DateTimeOffset now, ScalingActivityStatus status, string? message = null)
    {
        if (activity.Status != ScalingActivityStatus.InProgress)
        {
            return;
        }

        activity.End(now, status, message);
        metrics.RecordActivity(group, activity);
        Log.ActivityEnded(logger, group, activity.Description, status, message ?? "");
        runner.Defer(() => ended(activity));
    }

    /// <summary>A capacity change: an activity that starts and ends at once.</summary>
    public void RecordCapacityChange(int min, int max, int desired, string cause, DateTimeOffset now)
    {
        var activity = Start(ScalingActivityKind.CapacityChange, $"Setting capacity: min {min}, max {max}, desired {desired}", cause, now, null);
        End(activity, now, ScalingActivityStatus.Successful);
    }

    private static partial class Log
    {
        [LoggerMessage(101, LogLevel.Information, "Scaling group '{Group}': {Description}. Cause: {Cause}", EventName = "ActivityStarted")]
        public static partial void ActivityStarted(ILogger logger, string group, string description, string cause);

        [LoggerMessage(102, LogLevel.Information, "Scaling group '{Group}': {Description} ended {Status}. {Message}", EventName = "ActivityEnded")]
        public static partial void ActivityEnded(ILogger logger, string group, string description, ScalingActivityStatus status, string message);
    }
}
