namespace Loadstone.Scaling.Tests;

public sealed class LifecycleActionsTests
{
    private static (GroupParts Parts, LifecycleActions Hooks, List<(string Instance, string Hook)> Raised) Create(params LifecycleHook[] hooks)
    {
        var parts = new GroupParts(o =>
        {
            foreach (var hook in hooks)
            {
                o.LifecycleHooks.Add(hook);
            }
        });
        var raised = new List<(string, string)>();
        return (parts, new LifecycleActions(parts.Context, (i, h) => raised.Add((i.Id, h.Name))), raised);
    }

    private static LifecycleHook Hook(string name, LifecycleTransition transition, int timeoutSeconds = 60,
        LifecycleActionResult defaultResult = LifecycleActionResult.Abandon) =>
        new() { Name = name, Transition = transition, HeartbeatTimeout = TimeSpan.FromSeconds(timeoutSeconds), DefaultResult = defaultResult };

    [Fact]
    public void TryBeginWait_NoHookForTheTransition_LeavesTheInstance()
    {
        var (parts, hooks, raised) = Create(Hook("boot", LifecycleTransition.Launching));
        var instance = parts.AddInService();
        var waiting = true;
        parts.Run(now => waiting = hooks.TryBeginWait(instance, LifecycleTransition.Terminating, now));

        Assert.False(waiting);
        Assert.Equal(ScalingInstanceState.InService, instance.State);
        Assert.Empty(raised);
    }

    [Fact]
    public void TryBeginWait_TwoHooks_WaitsOnBothAndRaisesOnceEach()
    {
        var (parts, hooks, raised) = Create(Hook("a", LifecycleTransition.Terminating), Hook("b", LifecycleTransition.Terminating));
        var instance = parts.AddInService();
        parts.Run(now => hooks.TryBeginWait(instance, LifecycleTransition.Terminating, now));

        Assert.Equal(ScalingInstanceState.TerminatingWait, instance.State);
        Assert.Equal([(instance.Id, "a"), (instance.Id, "b")], raised);

        List<FinishedWait> finished = [];
        parts.Run(now =>
        {
            Assert.True(hooks.Complete(instance.Id, "a", LifecycleActionResult.Continue));
            finished = hooks.TakeFinished(now);
        });
        Assert.Empty(finished);

        parts.Run(now =>
        {
            Assert.True(hooks.Complete(instance.Id, "b", LifecycleActionResult.Continue));
            Assert.False(hooks.Complete(instance.Id, "b", LifecycleActionResult.Abandon)); // already answered
            finished = hooks.TakeFinished(now);
        });
        Assert.Equal(new FinishedWait(instance, false, "CONTINUE"), Assert.Single(finished));
    }

    [Fact]
    public void TakeFinished_OneAbandons_OverWithoutTheOther()
    {
        var (parts, hooks, _) = Create(Hook("a", LifecycleTransition.Launching), Hook("b", LifecycleTransition.Launching));
        var instance = parts.AddInService();
        List<FinishedWait> finished = [];
        parts.Run(now =>
        {
            hooks.TryBeginWait(instance, LifecycleTransition.Launching, now);
            hooks.Complete(instance.Id, "b", LifecycleActionResult.Abandon);
            finished = hooks.TakeFinished(now);
        });

        Assert.Equal(new FinishedWait(instance, true, "ABANDON from hook 'b'"), Assert.Single(finished));
    }

    [Fact]
    public void TakeFinished_HeartbeatTimeout_DefaultResultAndHeartbeatsPostponeIt()
    {
        var (parts, hooks, _) = Create(Hook("warm-cache", LifecycleTransition.Launching, timeoutSeconds: 60, defaultResult: LifecycleActionResult.Continue));
        var instance = parts.AddInService();
        parts.Run(now => hooks.TryBeginWait(instance, LifecycleTransition.Launching, now));

        parts.Time.Advance(TimeSpan.FromSeconds(50));
        parts.Run(now => Assert.True(hooks.Heartbeat(instance.Id, "warm-cache", now)));
        parts.Time.Advance(TimeSpan.FromSeconds(59));
        List<FinishedWait> finished = [];
        parts.Run(now => finished = hooks.TakeFinished(now));
        Assert.Empty(finished);

        parts.Time.Advance(TimeSpan.FromSeconds(1));
        parts.Run(now => finished = hooks.TakeFinished(now));
        Assert.Equal(
            new FinishedWait(instance, false, "CONTINUE (hook 'warm-cache' timed out after 00:01:00 without completion and took its default result)"),
            Assert.Single(finished));
    }

    [Fact]
    public void Complete_NotWaiting_False()
    {
        var (parts, hooks, _) = Create(Hook("a", LifecycleTransition.Launching));
        var instance = parts.AddInService();
        parts.Run(now =>
        {
            Assert.False(hooks.Complete(instance.Id, "a", LifecycleActionResult.Continue));
            Assert.False(hooks.Heartbeat("unit-99", "a", now));
        });
    }
}
