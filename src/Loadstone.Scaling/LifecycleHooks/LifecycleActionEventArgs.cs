namespace Loadstone.Scaling;

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
