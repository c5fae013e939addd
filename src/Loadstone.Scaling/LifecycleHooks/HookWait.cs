namespace Loadstone.Scaling;

/// <summary>One instance's wait on one lifecycle hook: its deadline (restarted by heartbeats) and its result once given.</summary>
internal sealed class HookWait(LifecycleHook hook, DateTimeOffset deadline)
{
    public LifecycleHook Hook { get; } = hook;

    public DateTimeOffset Deadline { get; set; } = deadline;

    public LifecycleActionResult? Result { get; set; }
}
