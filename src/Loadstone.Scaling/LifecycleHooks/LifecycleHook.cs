namespace Loadstone.Scaling;

/// <summary>
/// A pause in an instance's launch or termination, during which the application does its own work and then calls
/// <see cref="ScalingGroup.CompleteLifecycleAction"/>; like an Auto Scaling lifecycle hook.
/// </summary>
public sealed class LifecycleHook
{
    /// <summary>The hook's name, unique within the group.</summary>
    public required string Name { get; init; }

    /// <summary>Which transition it pauses.</summary>
    public required LifecycleTransition Transition { get; init; }

    /// <summary>
    /// How long the wait lasts without a heartbeat before <see cref="DefaultResult"/> applies; each
    /// <see cref="ScalingGroup.RecordLifecycleActionHeartbeat"/> restarts it. The default is
    /// <see cref="ScalingGroupDefaults.HeartbeatTimeout"/> (3,600 s); the range is 30 s to 7,200 s.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; init; } = ScalingGroupDefaults.HeartbeatTimeout;

    /// <summary>The result applied on timeout. The default is <see cref="LifecycleActionResult.Abandon"/>, as the Auto Scaling API.</summary>
    public LifecycleActionResult DefaultResult { get; init; } = LifecycleActionResult.Abandon;
}
