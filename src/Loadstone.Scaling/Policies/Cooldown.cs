namespace Loadstone.Scaling;

/// <summary>
/// The cooldown of simple scaling policies: after a simple policy changes the desired capacity, further simple
/// scaling waits until that activity's last launch or termination has completed and then for the cooldown. Step
/// scaling, target tracking, scheduled actions and health replacement ignore it, as in Auto Scaling.
/// </summary>
internal sealed class Cooldown(GroupContext context)
{
    private DateTimeOffset _until;
    private TimeSpan? _pending;

    /// <summary>Why a simple scaling policy must wait now (activity or cooldown), or <see langword="null"/>.</summary>
    public string? Reason(DateTimeOffset now) =>
        _pending is not null ? "a simple scaling activity is still in progress"
        : now < _until ? $"the cooldown runs until {GroupCapacity.Stamp(_until)}"
        : null;

    public void Save(GroupDocument document)
    {
        document.CooldownUntil = _until;
        document.CooldownPending = _pending;
    }

    public void Restore(GroupDocument document)
    {
        _until = document.CooldownUntil;
        _pending = document.CooldownPending;
    }

    /// <summary>A simple policy changed the desired capacity: its cooldown starts once the group has settled.</summary>
    public void Begin(TimeSpan cooldown) => _pending = cooldown;

    /// <summary>Starts the pending cooldown when the group has its desired capacity, every instance in service.</summary>
    public void Track(DateTimeOffset now)
    {
        if (_pending is not { } cooldown)
        {
            return;
        }

        var settled = context.Instances.Count(i => i.CountsTowardCapacity) == context.Capacity.Desired
            && context.Instances.All(i => i.State == ScalingInstanceState.InService);
        if (settled)
        {
            _until = now + cooldown;
            _pending = null;
        }
    }
}
