namespace Loadstone.Scaling;

/// <summary>The outcome of a <see cref="ScalingActivity"/>, like an Auto Scaling activity's status code.</summary>
public enum ScalingActivityStatus
{
    /// <summary>Still running (launching, waiting for hooks, draining, stopping).</summary>
    InProgress,

    /// <summary>Done as intended.</summary>
    Successful,

    /// <summary>Failed; <see cref="ScalingActivity.StatusMessage"/> says why.</summary>
    Failed,

    /// <summary>Given up: a launch lifecycle hook ended with ABANDON, or the group was disposed.</summary>
    Cancelled,
}

/// <summary>What a <see cref="ScalingActivity"/> does.</summary>
public enum ScalingActivityKind
{
    /// <summary>Launching an instance.</summary>
    Launch,

    /// <summary>Terminating an instance.</summary>
    Terminate,

    /// <summary>Changing min, max or desired capacity (by a policy, a scheduled action or a call).</summary>
    CapacityChange,
}

/// <summary>
/// One entry of a group's activity history: what changed, when, and why (the cause in words), like an Auto Scaling
/// activity. Launch and terminate activities stay <see cref="ScalingActivityStatus.InProgress"/> until done.
/// </summary>
public sealed class ScalingActivity
{
    internal ScalingActivity(long id, ScalingActivityKind kind, string description, string cause, DateTimeOffset startTime, string? instanceId)
    {
        Id = id;
        Kind = kind;
        Description = description;
        Cause = cause;
        StartTime = startTime;
        InstanceId = instanceId;
    }

    /// <summary>A sequence number, increasing within the group.</summary>
    public long Id { get; }

    /// <summary>What it does.</summary>
    public ScalingActivityKind Kind { get; }

    /// <summary>What happened, e.g. <c>Launching a new instance: catalog-3 in zone a</c>.</summary>
    public string Description { get; }

    /// <summary>Why, in words, e.g. <c>At 2026-01-01T00:05:00Z policy 'out' changed the desired capacity from 2 to 3. ...</c></summary>
    public string Cause { get; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>When it ended; <see langword="null"/> while in progress.</summary>
    public DateTimeOffset? EndTime { get; private set; }

    /// <summary>Its status.</summary>
    public ScalingActivityStatus Status { get; private set; } = ScalingActivityStatus.InProgress;

    /// <summary>Details of a failure or cancellation; <see langword="null"/> otherwise.</summary>
    public string? StatusMessage { get; private set; }

    /// <summary>The instance launched or terminated; <see langword="null"/> for capacity changes.</summary>
    public string? InstanceId { get; }

    internal void End(DateTimeOffset at, ScalingActivityStatus status, string? message = null)
    {
        EndTime = at;
        Status = status;
        StatusMessage = message;
    }

    /// <inheritdoc />
    public override string ToString() => $"#{Id} {Status}: {Description}";
}

/// <summary>The argument of <see cref="ScalingGroup.ActivityStarted"/> and <see cref="ScalingGroup.ActivityEnded"/>.</summary>
/// <param name="activity">The activity.</param>
public sealed class ScalingActivityEventArgs(ScalingActivity activity) : EventArgs
{
    /// <summary>The activity.</summary>
    public ScalingActivity Activity { get; } = activity;
}
