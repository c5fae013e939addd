namespace Loadstone.Scaling;

/// <summary>Where an instance is in its life within a group, like the Auto Scaling instance lifecycle states.</summary>
public enum ScalingInstanceState
{
    /// <summary>Being launched: the launcher has not returned yet.</summary>
    Pending,

    /// <summary>Launched and waiting for launch lifecycle hooks (Pending:Wait).</summary>
    PendingWait,

    /// <summary>Serving: listed by <see cref="ScalingGroup.EndpointSource"/>.</summary>
    InService,

    /// <summary>
    /// Removed from the endpoint source and waiting until the attached pool has drained it and let it go (Terminating,
    /// the pool's deregistration delay); with no pool attached this state passes at once.
    /// </summary>
    Terminating,

    /// <summary>Waiting for terminate lifecycle hooks (Terminating:Wait).</summary>
    TerminatingWait,

    /// <summary>Being stopped by the launcher.</summary>
    Stopping,

    /// <summary>Stopped and gone from the group.</summary>
    Terminated,
}
