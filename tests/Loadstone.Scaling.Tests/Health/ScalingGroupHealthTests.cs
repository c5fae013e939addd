namespace Loadstone.Scaling.Tests;

public sealed class ScalingGroupHealthTests
{
    [Fact]
    public void Reconcile_LauncherReportsStopped_ReplacedEvenDuringGracePeriod()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; o.HealthCheckGracePeriod = TimeSpan.FromMinutes(5); });
        kit.Launcher.SetStatus(kit.Instance("web-1").Launched!, InstanceStatus.Stopped);
        kit.Seconds(1);
        Assert.Equal(["web-2", "web-3"], kit.InService.Select(i => i.Id));
        var terminate = Assert.Single(kit.Group.Activities, a => a.Kind == ScalingActivityKind.Terminate);
        Assert.Equal("At 2026-01-01T00:00:01Z instance web-1 was taken out of service because the launcher reports it stopped; it will be replaced.", terminate.Cause);
    }

    [Fact]
    public void Reconcile_ImpairedDuringGracePeriod_ReplacedOnlyAfterIt()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 1; o.HealthCheckGracePeriod = TimeSpan.FromSeconds(60); });
        kit.Launcher.SetStatus(kit.Instance("web-1").Launched!, InstanceStatus.Impaired);
        kit.Seconds(59);
        Assert.Equal("web-1", Assert.Single(kit.InService).Id);
        kit.Seconds(1);
        Assert.Equal("web-2", Assert.Single(kit.InService).Id);
    }

    [Fact]
    public void Reconcile_BalancerHealthDelegateSaysUnhealthy_Replaced()
    {
        var bad = new HashSet<string>();
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; }, loadBalancerHealth: i => bad.Contains(i.Id) ? false : null);
        bad.Add("web-2");
        kit.Seconds(1);
        Assert.Equal(["web-1", "web-3"], kit.InService.Select(i => i.Id));
        Assert.Contains(kit.Group.Activities, a => a.Cause.Contains("failed the balancer's health checks", StringComparison.Ordinal));
    }

    [Fact]
    public void SetInstanceHealth_Unhealthy_ReplacedDespiteScaleInProtection()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 1; o.NewInstancesProtectedFromScaleIn = true; });
        Assert.True(kit.Group.SetInstanceHealth("web-1", healthy: false));
        Assert.Equal("web-2", Assert.Single(kit.InService).Id);
    }

    [Fact]
    public void Replacement_TwentyInstancesFiveUnhealthy_TwoAtATime()
    {
        // A launch hook holds each replacement in Pending:Wait, so the pacing is visible.
        var hold = false;
        var waiting = new List<string>();
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 20;
            o.MaxSize = 20;
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hold", Transition = LifecycleTransition.Launching });
        }, start: false);
        kit.Group.LifecycleActionRequired += (_, e) =>
        {
            if (hold)
            {
                waiting.Add(e.Instance.Id);
            }
            else
            {
                kit.Group.CompleteLifecycleAction(e.Instance.Id, e.Hook.Name, LifecycleActionResult.Continue);
            }
        };
        kit.Group.Start();
        Assert.Equal(20, kit.InService.Count);
        hold = true;
        foreach (var id in new[] { "web-1", "web-2", "web-3", "web-4", "web-5" })
        {
            kit.Group.SetInstanceHealth(id, healthy: false);
        }

        kit.Seconds(1);
        Assert.Equal(2, waiting.Count);
        Assert.Equal(3, kit.InService.Count(i => i.Health == ScalingInstanceHealth.Unhealthy));

        foreach (var id in waiting.ToList())
        {
            kit.Group.CompleteLifecycleAction(id, "hold", LifecycleActionResult.Continue);
        }

        kit.Seconds(1);
        Assert.Equal(4, waiting.Count);
        Assert.Equal(1, kit.InService.Count(i => i.Health == ScalingInstanceHealth.Unhealthy));
    }

    [Fact]
    public void Replacement_SmallGroup_OneAtATime()
    {
        var waiting = new List<string>();
        var hold = false;
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 3;
            o.MaxSize = 3;
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hold", Transition = LifecycleTransition.Launching });
        }, start: false);
        kit.Group.LifecycleActionRequired += (_, e) =>
        {
            if (hold) { waiting.Add(e.Instance.Id); }
            else { kit.Group.CompleteLifecycleAction(e.Instance.Id, e.Hook.Name, LifecycleActionResult.Continue); }
        };
        kit.Group.Start();
        hold = true;
        kit.Group.SetInstanceHealth("web-1", false);
        kit.Group.SetInstanceHealth("web-2", false);
        kit.Seconds(3);
        Assert.Single(waiting);
        kit.Group.CompleteLifecycleAction(waiting[0], "hold", LifecycleActionResult.Continue);
        kit.Seconds(1);
        Assert.Equal(2, waiting.Count);
    }

    [Fact]
    public void SuspendProcesses_ReplaceUnhealthy_MarkedButKept()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 1; });
        kit.Group.SuspendProcesses(ScalingProcesses.ReplaceUnhealthy);
        kit.Launcher.SetStatus(kit.Instance("web-1").Launched!, InstanceStatus.Impaired);
        kit.Seconds(5);
        Assert.Equal(ScalingInstanceHealth.Unhealthy, kit.Instance("web-1").Health);
        Assert.Equal(ScalingInstanceState.InService, kit.Instance("web-1").State);
        kit.Group.ResumeProcesses(ScalingProcesses.ReplaceUnhealthy);
        Assert.Equal("web-2", Assert.Single(kit.InService).Id);
    }

    [Fact]
    public void SuspendProcesses_HealthCheck_NotMarked()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 1; });
        kit.Group.SuspendProcesses(ScalingProcesses.HealthCheck);
        kit.Launcher.SetStatus(kit.Instance("web-1").Launched!, InstanceStatus.Impaired);
        kit.Seconds(5);
        Assert.Equal(ScalingInstanceHealth.Healthy, kit.Instance("web-1").Health);
    }

    [Fact]
    public void MaxInstanceLifetime_Reached_EachInstanceReplaced()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; o.MaxInstanceLifetime = TimeSpan.FromDays(1); });
        kit.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(["web-1", "web-2"], kit.InService.Select(i => i.Id));
        kit.Seconds(1);
        Assert.Equal(["web-3", "web-4"], kit.InService.Select(i => i.Id));
        Assert.Contains(kit.Group.Activities, a => a.Cause.Contains("reached the maximum instance lifetime of 1.00:00:00", StringComparison.Ordinal));
    }
}
