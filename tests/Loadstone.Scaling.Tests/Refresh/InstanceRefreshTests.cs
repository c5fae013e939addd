using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Loadstone.Scaling.Tests;

public sealed class InstanceRefreshTests
{
    private static ScalingTestKit Four(TimeSpan warmup) => new(o =>
    {
        o.MinSize = 4;
        o.MaxSize = 4;
        o.InstanceWarmup = warmup;
    });

    private static int OnVersion(ScalingTestKit kit, int version) => kit.InService.Count(i => i.LaunchTemplateVersion == version);

    [Fact]
    public void StartInstanceRefresh_HalfHealthy_ReplacesTwoAtATimeHonouringWarmup()
    {
        using var kit = Four(TimeSpan.FromSeconds(60));
        kit.Seconds(60);
        kit.Launcher.LaunchTemplateVersion = 2;

        kit.Group.StartInstanceRefresh(minHealthyPercentage: 50);
        Assert.Equal(2, OnVersion(kit, 2));
        Assert.Equal(2, kit.Group.InstanceRefresh!.InstancesToUpdate);

        kit.Seconds(59); // the new two are still warming: no second batch
        Assert.Equal(2, OnVersion(kit, 1));
        kit.Seconds(1);
        Assert.Equal(4, OnVersion(kit, 2));
        Assert.Equal(InstanceRefreshState.InProgress, kit.Group.InstanceRefresh!.State);

        kit.Seconds(60);
        var refresh = kit.Group.InstanceRefresh!;
        Assert.Equal(InstanceRefreshState.Successful, refresh.State);
        Assert.Equal(kit.Time.GetUtcNow(), refresh.EndTime);
        Assert.Equal(0, refresh.InstancesToUpdate);
        Assert.Contains(kit.Group.Activities, a => a.Cause.Contains("an instance refresh to launch template version 2 (minimum healthy 50 %) took instance web-1 (version 1)", StringComparison.Ordinal));
    }

    [Fact]
    public void StartInstanceRefresh_NinetyPercentOfFour_OneAtATime()
    {
        using var kit = Four(TimeSpan.FromSeconds(30));
        kit.Seconds(30);
        kit.Launcher.LaunchTemplateVersion = 2;
        kit.Group.StartInstanceRefresh();
        for (var step = 1; step <= 4; step++)
        {
            Assert.Equal(step, OnVersion(kit, 2));
            kit.Seconds(30);
        }

        kit.Seconds(1);
        Assert.Equal(InstanceRefreshState.Successful, kit.Group.InstanceRefresh!.State);
    }

    [Fact]
    public void CancelInstanceRefresh_StopsReplacing()
    {
        using var kit = Four(TimeSpan.FromSeconds(30));
        kit.Seconds(30);
        kit.Launcher.LaunchTemplateVersion = 2;
        kit.Group.StartInstanceRefresh();
        Assert.True(kit.Group.CancelInstanceRefresh());
        kit.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, OnVersion(kit, 2));
        Assert.Equal(InstanceRefreshState.Cancelled, kit.Group.InstanceRefresh!.State);
        Assert.False(kit.Group.CancelInstanceRefresh());
    }

    [Fact]
    public void Activities_Ended_CountedOnTheLoadstoneMeter()
    {
        // Groups made without a container share the process-wide meter: keep this group's measurements.
        using var activities = new MetricCollector<long>((object?)null, LoadstoneMetrics.MeterName, "loadstone.scaling.activities");
        var launcher = new InMemoryInstanceLauncher();
        using var group = new ScalingGroup("metrics-web", new ScalingGroupOptions { MinSize = 2, MaxSize = 2 }, launcher,
            new ScalingGroupDependencies { TimeProvider = TestClock.Create() });
        group.Start();

        var counted = activities.GetMeasurementSnapshot().Where(m => Equals(m.Tags.GetValueOrDefault("loadstone.scaling.group"), "metrics-web")).ToList();
        Assert.Equal(2, counted.Count(m => m.Value == 1
            && Equals(m.Tags.GetValueOrDefault("loadstone.scaling.activity.kind"), "Launch")
            && Equals(m.Tags.GetValueOrDefault("loadstone.scaling.activity.status"), "Successful")));
    }
}
