namespace Loadstone.Scaling.Tests;

public sealed class ZoneBalanceTests
{
    private static (GroupParts Parts, ZoneBalance Zones) Create()
    {
        var parts = new GroupParts(o =>
        {
            o.MaxSize = 10;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
            o.AvailabilityZones.Add("c");
        });
        var hooks = new LifecycleActions(parts.Context, (_, _) => { });
        var lifecycle = new InstanceLifecycle(parts.Context, hooks, new EndpointPublisher("unit", parts.Runner, () => { }));
        return (parts, new ZoneBalance(parts.Context, lifecycle));
    }

    [Fact]
    public void ZoneWithFewest_TieGoesToTheFirstListed()
    {
        var (parts, zones) = Create();
        Assert.Equal("a", zones.ZoneWithFewest());
        parts.AddInService("a");
        parts.AddInService("c");
        Assert.Equal("b", zones.ZoneWithFewest());
    }

    [Fact]
    public void ChooseVictim_FromTheZoneWithTheMostThatHasAnUnprotectedInstance()
    {
        var (parts, zones) = Create();
        foreach (var i in new[] { parts.AddInService("a"), parts.AddInService("a"), parts.AddInService("a") })
        {
            i.IsProtectedFromScaleIn = true;
        }

        parts.AddInService("b");
        var inB = parts.AddInService("b");
        parts.AddInService("c");

        // Zone a has the most but all protected: zone b, then the default policy (oldest template, closest to the hour, random).
        Assert.Equal("b", zones.ChooseVictim(parts.Now)!.Zone);
        Assert.Contains(zones.ChooseVictim(parts.Now), new[] { parts.Context.Instances[3], inB });
    }

    [Fact]
    public void ChooseVictim_EveryInstanceProtected_Null()
    {
        var (parts, zones) = Create();
        parts.AddInService("a").IsProtectedFromScaleIn = true;
        Assert.Null(zones.ChooseVictim(parts.Now));
    }

    [Fact]
    public void Rebalance_ZonesDifferByTwo_LaunchesInTheZoneWithFewest()
    {
        var (parts, zones) = Create();
        parts.AddInService("a");
        parts.AddInService("a");
        parts.AddInService("b");
        parts.Run(now =>
        {
            parts.Context.Capacity.ChangeDesired(3, now, "test");
            zones.Rebalance(now);
        });

        var launched = Assert.Single(parts.Context.Instances, i => i.Zone == "c");
        Assert.Equal("c", launched.Zone);
        Assert.True(launched.IsRebalanceLaunch);
        Assert.Contains("to rebalance instances across zones (a: 2, b: 1, c: 0)", launched.Activity!.Cause, StringComparison.Ordinal);
    }
}
