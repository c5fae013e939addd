namespace Loadstone.Scaling;

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

    internal ActivityDocument ToDocument() => new()
    {
        Id = Id,
        Kind = Kind,
        Description = Description,
        Cause = Cause,
        StartTime = StartTime,
        EndTime = EndTime,
        Status = Status,
        StatusMessage = StatusMessage,
        InstanceId = InstanceId,
    };

    internal static ScalingActivity FromDocument(ActivityDocument document)
    {
        var activity = new ScalingActivity(document.Id, document.Kind, document.Description, document.Cause, document.StartTime, document.InstanceId);
        if (document.Status != ScalingActivityStatus.InProgress)
        {
            activity.End(document.EndTime ?? document.StartTime, document.Status, document.StatusMessage);
        }

        return activity;
    }

    internal void End(DateTimeOffset at, ScalingActivityStatus status, string? message = null)
    {
        EndTime = at;
        Status = status;
        StatusMessage = message;
    }

    /// <inheritdoc />
    public override string ToString() => $"#{Id} {Status}: {Description}";
}
