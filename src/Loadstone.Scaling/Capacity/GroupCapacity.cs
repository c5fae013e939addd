using System.Globalization;

namespace Loadstone.Scaling;

/// <summary>
/// Min, max and desired capacity, the desired capacity always within [min, max], and why it was last changed
/// (the start of every launch or termination cause). Written under the group's lock; read anywhere.
/// </summary>
internal sealed class GroupCapacity
{
    private readonly ActivityLog _activities;
    private int _min;
    private int _max;
    private int _desired;

    public GroupCapacity(ScalingGroupOptions options, ActivityLog activities, DateTimeOffset now)
    {
        _activities = activities;
        _min = options.MinSize;
        _max = options.MaxSize;
        _desired = options.DesiredCapacity ?? options.MinSize;
        DesiredCause = $"At {Stamp(now)} the group was created with a desired capacity of {_desired}.";
    }

    public int Min => Volatile.Read(ref _min);

    public int Max => Volatile.Read(ref _max);

    public int Desired => Volatile.Read(ref _desired);

    /// <summary>The sentence that explains the current desired capacity, e.g. "At … policy 'x' changed the desired capacity from 2 to 3."</summary>
    public string DesiredCause { get; private set; }

    /// <summary>The group's timestamps in causes: UTC to the second.</summary>
    public static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>
    /// Sets min and max and moves the desired capacity into them (to <paramref name="desired"/> when given); the
    /// cause names <paramref name="who"/>, e.g. "scheduled action 'night' (due …)".
    /// </summary>
    public void Apply(int min, int max, int? desired, DateTimeOffset now, string who)
    {
        var (oldMin, oldMax, oldDesired) = (_min, _max, _desired);
        Volatile.Write(ref _min, min);
        Volatile.Write(ref _max, max);
        var target = ScalingMath.Clamp(desired ?? _desired, min, max);
        if (oldMin == min && oldMax == max && oldDesired == target)
        {
            return;
        }

        Volatile.Write(ref _desired, target);
        if (oldDesired != target)
        {
            DesiredCause = $"At {Stamp(now)} {who} changed the desired capacity from {oldDesired} to {target}.";
        }

        _activities.RecordCapacityChange(min, max, target,
            $"At {Stamp(now)} {who} set min {oldMin}→{min}, max {oldMax}→{max}, desired capacity {oldDesired}→{target}.", now);
    }

    /// <summary>Writes min, max, desired and its cause into the group's durable state.</summary>
    public void Save(GroupDocument document)
    {
        document.MinSize = _min;
        document.MaxSize = _max;
        document.DesiredCapacity = _desired;
        document.DesiredCause = DesiredCause;
    }

    /// <summary>Takes min, max, desired and its cause from the group's durable state (no activity: nothing changed).</summary>
    public void Restore(GroupDocument document)
    {
        Volatile.Write(ref _min, document.MinSize);
        Volatile.Write(ref _max, document.MaxSize);
        Volatile.Write(ref _desired, document.DesiredCapacity);
        DesiredCause = document.DesiredCause;
    }

    /// <summary>Sets the desired capacity, clamped to [min, max].</summary>
    /// <returns>Whether it changed.</returns>
    public bool ChangeDesired(int target, DateTimeOffset now, string who)
    {
        var before = _desired;
        target = ScalingMath.Clamp(target, _min, _max);
        if (target == before)
        {
            return false;
        }

        Volatile.Write(ref _desired, target);
        DesiredCause = $"At {Stamp(now)} {who} changed the desired capacity from {before} to {target}.";
        _activities.RecordCapacityChange(_min, _max, target, DesiredCause, now);
        return true;
    }
}
