namespace Loadstone.Scaling.Tests;

public sealed class ScalingGroupCapacityTests
{
    [Fact]
    public async Task Start_DesiredThree_LaunchesThreeAndPublishesTheirEndpoints()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 3; o.MaxSize = 6; });
        Assert.Equal(3, kit.InService.Count);
        Assert.Equal(3, kit.Launcher.Running.Count);
        var published = await kit.PublishedAsync();
        Assert.Equal(kit.InService.Select(i => i.Endpoint!), published);
    }

    [Fact]
    public void Start_NotCalled_LaunchesNothing()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; }, start: false);
        kit.Seconds(10);
        Assert.Empty(kit.Group.Instances);
    }

    [Fact]
    public void Start_ThreeZonesSevenInstances_LaunchesInZoneWithFewest()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 7;
            o.MaxSize = 10;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
            o.AvailabilityZones.Add("c");
        });
        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 2, ["c"] = 2 }, kit.PerZone());
        Assert.All(kit.InService, i => Assert.Equal(i.Zone, i.Endpoint!.Zone));
    }

    [Fact]
    public void SetDesiredCapacity_ScaleIn_TakesFromZoneWithMostAndStaysBalanced()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.DesiredCapacity = 7;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
            o.AvailabilityZones.Add("c");
        });
        kit.Group.SetDesiredCapacity(4);
        var zones = kit.PerZone();
        Assert.Equal(4, zones.Values.Sum());
        Assert.Equal(3, zones.Count);
        Assert.True(zones.Values.Max() - zones.Values.Min() <= 1, string.Join(", ", zones));
        kit.Group.SetDesiredCapacity(3);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }, kit.PerZone());
        Assert.Equal(4, kit.Launcher.StopCount);
    }

    [Fact]
    public void SetDesiredCapacity_ScaleOut_RecordsCauseInWordsAndRaisesEvents()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 5; });
        kit.Started.Clear();
        kit.Ended.Clear();
        kit.Seconds(5);
        kit.Group.SetDesiredCapacity(3);

        var launch = Assert.Single(kit.Group.Activities, a => a.Kind == ScalingActivityKind.Launch && a.InstanceId == "web-3");
        Assert.Equal(ScalingActivityStatus.Successful, launch.Status);
        Assert.Equal(kit.Time.GetUtcNow(), launch.EndTime);
        Assert.Equal("Launching a new instance: web-3", launch.Description);
        Assert.Equal(
            "At 2026-01-01T00:00:05Z a user request (SetDesiredCapacity) changed the desired capacity from 2 to 3. " +
            "At 2026-01-01T00:00:05Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 2 to 3.",
            launch.Cause);
        Assert.Contains(launch, kit.Started);
        Assert.Contains(launch, kit.Ended);
        Assert.Contains(kit.Started, a => a.Kind == ScalingActivityKind.CapacityChange && a.Cause.Contains("from 2 to 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Reconcile_LaunchFails_RecordsFailureAndRetriesAfterDelay()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 2; o.LaunchRetryDelay = TimeSpan.FromSeconds(10); }, start: false);
        kit.Launcher.FailNextLaunches(1);
        kit.Group.Start();

        var failed = Assert.Single(kit.Group.Activities, a => a.Status == ScalingActivityStatus.Failed);
        Assert.Contains("Simulated launch failure", failed.StatusMessage, StringComparison.Ordinal);
        Assert.Empty(kit.Group.Instances);
        kit.Seconds(9);
        Assert.Empty(kit.Group.Instances);
        kit.Seconds(1);
        Assert.Single(kit.InService);
    }

    [Fact]
    public void ScaleIn_ProtectedInstance_IsNotChosen()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 5; o.DesiredCapacity = 3; });
        var keep = kit.InService[0].Id;
        kit.Group.SetInstanceProtection(keep, true);
        kit.Group.SetDesiredCapacity(0);
        Assert.Equal(keep, Assert.Single(kit.Group.Instances).Id);
    }

    [Fact]
    public void ScaleIn_NewInstancesProtected_NothingTerminated()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 5; o.DesiredCapacity = 2; o.NewInstancesProtectedFromScaleIn = true; });
        kit.Group.SetDesiredCapacity(0);
        kit.Seconds(3);
        Assert.Equal(2, kit.InService.Count);
        Assert.All(kit.InService, i => Assert.True(i.IsProtectedFromScaleIn));
    }

    [Fact]
    public void TerminateInstance_WithoutDecrement_IsReplaced()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; });
        Assert.True(kit.Group.TerminateInstance("web-1", decrementDesiredCapacity: false));
        Assert.Equal(["web-2", "web-3"], kit.InService.Select(i => i.Id));
    }

    [Fact]
    public void Rebalance_ZonesUneven_LaunchesFirstThenTerminatesFromZoneWithMost()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 4;
            o.DesiredCapacity = 4;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
        });

        // Protect zone a, so the scale-in empties zone b.
        foreach (var i in kit.InService.Where(i => i.Zone == "a"))
        {
            kit.Group.SetInstanceProtection(i.Id, true);
        }

        kit.Group.SuspendProcesses(ScalingProcesses.AZRebalance);
        kit.Group.SetDesiredCapacity(2);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2 }, kit.PerZone());
        foreach (var i in kit.InService)
        {
            kit.Group.SetInstanceProtection(i.Id, false);
        }

        var launchesBefore = kit.Launcher.LaunchCount;
        kit.Group.ResumeProcesses(ScalingProcesses.AZRebalance);
        Assert.Equal(launchesBefore + 1, kit.Launcher.LaunchCount);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, kit.PerZone());
        var rebalanceLaunch = kit.Group.Activities.Last(a => a.Kind == ScalingActivityKind.Launch);
        var rebalanceTerminate = kit.Group.Activities.Last(a => a.Kind == ScalingActivityKind.Terminate);
        Assert.True(rebalanceLaunch.Id < rebalanceTerminate.Id);
        Assert.Contains("rebalance instances across zones (a: 2, b: 0)", rebalanceLaunch.Cause, StringComparison.Ordinal);
        Assert.Contains("balance instances across zones", rebalanceTerminate.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void Rebalance_AtMaxSize_ExceedsMaxByOneUntilTheExtraIsTerminated()
    {
        var hold = false;
        var waiting = new List<string>();
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 4;
            o.DesiredCapacity = 4;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hold", Transition = LifecycleTransition.Launching });
        }, start: false);
        kit.Group.LifecycleActionRequired += (_, e) =>
        {
            if (hold) { waiting.Add(e.Instance.Id); }
            else { kit.Group.CompleteLifecycleAction(e.Instance.Id, e.Hook.Name, LifecycleActionResult.Continue); }
        };
        kit.Group.Start();
        kit.Group.SuspendProcesses(ScalingProcesses.AZRebalance);
        foreach (var i in kit.InService.Where(i => i.Zone == "a"))
        {
            kit.Group.SetInstanceProtection(i.Id, true);
        }

        kit.Group.SetDesiredCapacity(2);
        kit.Group.UpdateCapacity(maxSize: 2);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2 }, kit.PerZone());
        foreach (var i in kit.InService)
        {
            kit.Group.SetInstanceProtection(i.Id, false);
        }

        hold = true;
        kit.Group.ResumeProcesses(ScalingProcesses.AZRebalance);
        Assert.Equal(3, kit.Group.Instances.Count); // max 2, plus the rebalancing launch
        Assert.Equal("b", kit.Instance(Assert.Single(waiting)).Zone);
        kit.Seconds(5);
        Assert.Equal(3, kit.Group.Instances.Count); // nothing terminated before the new one is in service

        kit.Group.CompleteLifecycleAction(waiting[0], "hold", LifecycleActionResult.Continue);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, kit.PerZone());
        Assert.Equal(2, kit.Group.Instances.Count);
    }

    [Fact]
    public void SuspendProcesses_Launch_NoLaunchUntilResumed()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 5; });
        kit.Group.SuspendProcesses(ScalingProcesses.Launch);
        kit.Group.SetDesiredCapacity(3);
        kit.Seconds(5);
        Assert.Single(kit.InService);
        Assert.Equal(ScalingProcesses.Launch, kit.Group.SuspendedProcesses);
        kit.Group.ResumeProcesses(ScalingProcesses.Launch);
        Assert.Equal(3, kit.InService.Count);
    }

    [Fact]
    public void SuspendProcesses_Terminate_NoScaleInUntilResumed()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 5; o.DesiredCapacity = 3; });
        kit.Group.SuspendProcesses(ScalingProcesses.Terminate);
        kit.Group.SetDesiredCapacity(1);
        kit.Seconds(5);
        Assert.Equal(3, kit.InService.Count);
        kit.Group.ResumeProcesses(ScalingProcesses.Terminate);
        Assert.Single(kit.Group.Instances);
    }

    [Fact]
    public void Activities_HistoryBounded_KeepsNewest()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 5; o.MaxActivityHistory = 3; });
        kit.Group.SetDesiredCapacity(3);
        Assert.Equal(3, kit.Group.Activities.Count);
        Assert.Equal(kit.Started.TakeLast(3).Select(a => a.Id), kit.Group.Activities.Select(a => a.Id));
    }

    [Fact]
    public async Task Dispose_StopsEveryInstance()
    {
        var kit = new ScalingTestKit(o => { o.MinSize = 3; o.MaxSize = 3; });
        await kit.Group.DisposeAsync();
        Assert.Empty(kit.Launcher.Running);
        Assert.Equal(3, kit.Launcher.StopCount);
        Assert.Throws<ObjectDisposedException>(() => kit.Group.Start());
    }
}
