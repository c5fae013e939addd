namespace Loadstone.Scaling;

/// <summary>
/// Runs the scheduled actions when due: sets min, max and/or desired capacity (a new min above the current max, or
/// the reverse, moves the other bound with it) and computes each action's next run. An action due while the
/// ScheduledActions process is suspended is skipped, not run later. Called under the group's lock.
/// </summary>
internal sealed class ScheduledActionRunner(GroupContext context)
{
    private readonly Dictionary<ScheduledAction, DateTimeOffset?> _next = [];

    /// <summary>Computes every action's first run: a one-time action due right now still runs; a recurrence starts with its next occurrence.</summary>
    public void Start(DateTimeOffset now)
    {
        foreach (var action in context.Options.ScheduledActions)
        {
            _next[action] = action.NextRun(action.Recurrence is null ? now - TimeSpan.FromTicks(1) : now);
        }
    }

    public void Save(GroupDocument document)
    {
        foreach (var (action, next) in _next)
        {
            document.ScheduledActions[action.Name] = next;
        }
    }

    /// <summary>Takes each action's next run from the group's durable state; an action the state does not know starts afresh.</summary>
    public void Restore(GroupDocument document, DateTimeOffset now)
    {
        _next.Clear();
        foreach (var action in context.Options.ScheduledActions)
        {
            _next[action] = document.ScheduledActions.TryGetValue(action.Name, out var next)
                ? next
                : action.NextRun(action.Recurrence is null ? now - TimeSpan.FromTicks(1) : now);
        }
    }

    public void RunDue(DateTimeOffset now)
    {
        foreach (var action in context.Options.ScheduledActions)
        {
            if (!_next.TryGetValue(action, out var next) || next is not { } due || due > now)
            {
                continue;
            }

            _next[action] = action.NextRun(now);
            if (context.IsSuspended(ScalingProcesses.ScheduledActions))
            {
                continue;
            }

            var capacity = context.Capacity;
            var min = action.MinSize ?? capacity.Min;
            var max = action.MaxSize ?? capacity.Max;
            if (min > max)
            {
                if (action.MinSize is null)
                {
                    min = max;
                }
                else
                {
                    max = min;
                }
            }

            capacity.Apply(min, Math.Max(max, 1), action.DesiredCapacity, now, $"scheduled action '{action.Name}' (due {GroupCapacity.Stamp(due)})");
        }
    }
}
