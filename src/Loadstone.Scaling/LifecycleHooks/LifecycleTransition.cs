namespace Loadstone.Scaling;

/// <summary>The transition a <see cref="LifecycleHook"/> pauses, like autoscaling:EC2_INSTANCE_LAUNCHING/TERMINATING.</summary>
public enum LifecycleTransition
{
    /// <summary>After the launcher started the instance, before it enters service (Pending:Wait).</summary>
    Launching,

    /// <summary>After the instance was drained, before the launcher stops it (Terminating:Wait).</summary>
    Terminating,
}
