namespace Loadstone.Scaling;

/// <summary>The transition a <see cref="LifecycleHook"/> pauses, like autoscaling:EC2_INSTANCE_LAUNCHING/TERMINATING.</summary>
public enum LifecycleTransition
{
    /// <summary>After the launcher started the instance, before it enters service (Pending:Wait).</summary>
    Launching,

    /// <summary>After the instance was drained, before the launcher stops it (Terminating:Wait).</summary>
    Terminating,
}

/// <summary>How a lifecycle action ends.</summary>
public enum LifecycleActionResult
{
    /// <summary>Go on: the launch enters service, or the termination proceeds.</summary>
    Continue,

    /// <summary>Give up: a launch is terminated (and replaced); a termination proceeds, skipping other hooks.</summary>
    Abandon,
}

/// <summary>
/// A pause in an instance's launch or termination, during which the application does its own work and then calls
/// <see cref="ScalingGroup.CompleteLifecycleAction"/>; like an Auto Scaling lifecycle hook.
/// </summary>
public sealed class LifecycleHook
{
    /// <summary>The shortest <see cref="HeartbeatTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan MinHeartbeatTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest <see cref="HeartbeatTimeout"/>: 7,200 s.</summary>
    public static readonly TimeSpan MaxHeartbeatTimeout = TimeSpan.FromSeconds(7200);

    /// <summary>The default <see cref="HeartbeatTimeout"/>: 3,600 s.</summary>
    public static readonly TimeSpan DefaultHeartbeatTimeout = TimeSpan.FromSeconds(3600);

    /// <summary>The hook's name, unique within the group.</summary>
    public required string Name { get; init; }

    /// <summary>Which transition it pauses.</summary>
    public required LifecycleTransition Transition { get; init; }

    /// <summary>
    /// How long the wait lasts without a heartbeat before <see cref="DefaultResult"/> applies; each
    /// <see cref="ScalingGroup.RecordLifecycleActionHeartbeat"/> restarts it. The default is 3,600 s; the range is 30–7,200 s.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; init; } = DefaultHeartbeatTimeout;

    /// <summary>The result applied on timeout. The default is <see cref="LifecycleActionResult.Abandon"/>, as the Auto Scaling API.</summary>
    public LifecycleActionResult DefaultResult { get; init; } = LifecycleActionResult.Abandon;
}

/// <summary>The argument of <see cref="ScalingGroup.LifecycleActionRequired"/>.</summary>
/// <param name="instance">The instance waiting.</param>
/// <param name="hook">The hook it waits on.</param>
public sealed class LifecycleActionEventArgs(ScalingInstance instance, LifecycleHook hook) : EventArgs
{
    /// <summary>The instance waiting.</summary>
    public ScalingInstance Instance { get; } = instance;

    /// <summary>The hook it waits on; pass its name to <see cref="ScalingGroup.CompleteLifecycleAction"/>.</summary>
    public LifecycleHook Hook { get; } = hook;
}
