namespace Loadstone.Scaling.Tests;

public sealed class LifecycleHookTests
{
    private static ScalingTestKit WithHook(LifecycleTransition transition, LifecycleActionResult defaultResult, List<LifecycleActionEventArgs> calls, int min = 1) =>
        Track(new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 3;
            o.DesiredCapacity = min;
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hook", Transition = transition, HeartbeatTimeout = TimeSpan.FromSeconds(60), DefaultResult = defaultResult });
        }, start: false), calls);

    private static ScalingTestKit Track(ScalingTestKit kit, List<LifecycleActionEventArgs> calls)
    {
        kit.Group.LifecycleActionRequired += (_, e) => calls.Add(e);
        kit.Group.Start();
        return kit;
    }

    [Fact]
    public async Task LaunchHook_Completed_EntersServiceOnlyThen()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Launching, LifecycleActionResult.Abandon, calls);
        var call = Assert.Single(calls);
        Assert.Equal(ScalingInstanceState.PendingWait, call.Instance.State);
        Assert.Empty(await kit.PublishedAsync());

        Assert.True(kit.Group.CompleteLifecycleAction(call.Instance.Id, "hook", LifecycleActionResult.Continue));

        Assert.Equal(ScalingInstanceState.InService, call.Instance.State);
        Assert.Single(await kit.PublishedAsync());
        Assert.False(kit.Group.CompleteLifecycleAction(call.Instance.Id, "hook", LifecycleActionResult.Continue));
    }

    [Fact]
    public void LaunchHook_TimesOutWithDefaultAbandon_InstanceStoppedAndReplaced()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Launching, LifecycleActionResult.Abandon, calls);
        kit.Seconds(59);
        Assert.Equal(ScalingInstanceState.PendingWait, kit.Instance("web-1").State);
        kit.Seconds(1);

        Assert.Equal(1, kit.Launcher.StopCount);
        var launch = kit.Group.Activities.First(a => a.InstanceId == "web-1");
        Assert.Equal(ScalingActivityStatus.Cancelled, launch.Status);
        Assert.Contains("ABANDON from hook 'hook'", launch.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("timed out after 00:01:00", launch.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(ScalingInstanceState.PendingWait, kit.Instance("web-2").State);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public void LaunchHook_TimesOutWithDefaultContinue_EntersService()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Launching, LifecycleActionResult.Continue, calls);
        kit.Seconds(60);
        Assert.Equal(ScalingInstanceState.InService, kit.Instance("web-1").State);
        Assert.Equal(0, kit.Launcher.StopCount);
    }

    [Fact]
    public void RecordLifecycleActionHeartbeat_RestartsTimeout()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Launching, LifecycleActionResult.Continue, calls);
        kit.Seconds(50);
        Assert.True(kit.Group.RecordLifecycleActionHeartbeat("web-1", "hook"));
        kit.Seconds(59);
        Assert.Equal(ScalingInstanceState.PendingWait, kit.Instance("web-1").State);
        kit.Seconds(1);
        Assert.Equal(ScalingInstanceState.InService, kit.Instance("web-1").State);
    }

    [Fact]
    public void LaunchHook_GracePeriodStartsAfterHookFinishes()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = Track(new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 1;
            o.HealthCheckGracePeriod = TimeSpan.FromSeconds(60);
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hook", Transition = LifecycleTransition.Launching, HeartbeatTimeout = TimeSpan.FromSeconds(120), DefaultResult = LifecycleActionResult.Continue });
        }, start: false), calls);
        kit.Launcher.SetStatus(kit.Instance("web-1").Launched!, InstanceStatus.Impaired);
        kit.Seconds(120);
        Assert.Equal(ScalingInstanceState.InService, kit.Instance("web-1").State);
        kit.Seconds(59);
        Assert.Equal(ScalingInstanceHealth.Healthy, kit.Instance("web-1").Health);
        kit.Seconds(1);
        Assert.DoesNotContain(kit.InService, i => i.Id == "web-1");
    }

    [Theory]
    [InlineData(LifecycleActionResult.Continue)]
    [InlineData(LifecycleActionResult.Abandon)]
    public void TerminateHook_TimesOut_StoppedWithEitherDefault(LifecycleActionResult defaultResult)
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Terminating, defaultResult, calls, min: 2);
        kit.Group.SetDesiredCapacity(1);
        var call = Assert.Single(calls);
        Assert.Equal(LifecycleTransition.Terminating, call.Hook.Transition);
        Assert.Equal(ScalingInstanceState.TerminatingWait, call.Instance.State);
        kit.Seconds(59);
        Assert.Equal(0, kit.Launcher.StopCount);
        kit.Seconds(1);
        Assert.Equal(1, kit.Launcher.StopCount);
        Assert.Equal(ScalingInstanceState.Terminated, call.Instance.State);
    }

    [Fact]
    public void TerminateHook_Completed_StoppedAtOnce()
    {
        var calls = new List<LifecycleActionEventArgs>();
        using var kit = WithHook(LifecycleTransition.Terminating, LifecycleActionResult.Abandon, calls, min: 2);
        kit.Group.SetDesiredCapacity(1);
        kit.Group.CompleteLifecycleAction(calls[0].Instance.Id, "hook", LifecycleActionResult.Continue);
        Assert.Equal(1, kit.Launcher.StopCount);
    }
}
