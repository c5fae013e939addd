namespace Loadstone.Scaling.Tests;

public sealed class TerminationPolicyTests
{
    public static TheoryData<string, string> Policies => new()
    {
        { nameof(TerminationPolicy.OldestInstance), "web-1" },
        { nameof(TerminationPolicy.NewestInstance), "web-4" },
        { nameof(TerminationPolicy.OldestLaunchTemplate), "web-3" },
        { nameof(TerminationPolicy.ClosestToNextInstanceHour), "web-2" },
        { nameof(TerminationPolicy.Default), "web-3" },
        { "Custom", "web-2" },
    };

    /// <summary>
    /// Four instances: web-1 (t=0, v2), web-2 (t=40 min, v3), web-3 (t=70 min, v1), web-4 (t=71 min, v3); at t=75 min
    /// the time to each one's next instance hour is 45, 25, 55 and 56 minutes.
    /// </summary>
    private static ScalingTestKit FourInstances(TerminationPolicy policy)
    {
        var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 10;
            o.TerminationPolicies.Add(policy);
        });
        kit.Launcher.LaunchTemplateVersion = 2;
        kit.Group.SetDesiredCapacity(1);
        kit.Advance(TimeSpan.FromMinutes(40));
        kit.Launcher.LaunchTemplateVersion = 3;
        kit.Group.SetDesiredCapacity(2);
        kit.Advance(TimeSpan.FromMinutes(30));
        kit.Launcher.LaunchTemplateVersion = 1;
        kit.Group.SetDesiredCapacity(3);
        kit.Advance(TimeSpan.FromMinutes(1));
        kit.Launcher.LaunchTemplateVersion = 3;
        kit.Group.SetDesiredCapacity(4);
        kit.Advance(TimeSpan.FromMinutes(4));
        return kit;
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void ScaleIn_ByPolicy_TerminatesTheExpectedInstance(string policyName, string expected)
    {
        var policy = policyName switch
        {
            "Custom" => TerminationPolicy.Custom("prefer-web-2", a => a.Candidates.Where(i => i.Id == "web-2")),
            _ => (TerminationPolicy)typeof(TerminationPolicy).GetProperty(policyName)!.GetValue(null)!,
        };
        using var kit = FourInstances(policy);
        Assert.Equal(["web-1", "web-2", "web-3", "web-4"], kit.InService.Select(i => i.Id));

        kit.Group.SetDesiredCapacity(3);

        var gone = Assert.Single(new[] { "web-1", "web-2", "web-3", "web-4" }.Except(kit.InService.Select(i => i.Id)));
        Assert.Equal(expected, gone);
    }

    [Fact]
    public void ScaleIn_PolicyOrder_SuccessiveScaleInsFollowOrder()
    {
        using var kit = FourInstances(TerminationPolicy.NewestInstance);
        kit.Group.SetDesiredCapacity(1);
        Assert.Equal("web-1", Assert.Single(kit.InService).Id);
        var order = kit.Group.Activities.Where(a => a.Kind == ScalingActivityKind.Terminate).Select(a => a.InstanceId);
        Assert.Equal(["web-4", "web-3", "web-2"], order);
    }

    [Fact]
    public void ScaleIn_CustomPolicyReturnsNothing_FallsBackToDefault()
    {
        using var kit = FourInstances(TerminationPolicy.Custom("none", _ => []));
        kit.Group.SetDesiredCapacity(3);
        Assert.DoesNotContain(kit.InService, i => i.Id == "web-3");
    }

    [Fact]
    public void ScaleIn_ZoneBalanceBeforePolicy_NewestInZoneWithMost()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 10;
            o.DesiredCapacity = 2;
            o.AvailabilityZones.Add("a");
            o.AvailabilityZones.Add("b");
            o.TerminationPolicies.Add(TerminationPolicy.NewestInstance);
        });

        // a: web-1, web-3; b: web-2, replaced by web-4, the newest of all.
        kit.Advance(TimeSpan.FromMinutes(1));
        kit.Group.SetDesiredCapacity(3);
        kit.Advance(TimeSpan.FromMinutes(1));
        kit.Group.TerminateInstance("web-2", decrementDesiredCapacity: false);
        Assert.Equal("b", kit.Instance("web-4").Zone);

        kit.Group.SetDesiredCapacity(2);

        Assert.Equal(["web-1", "web-4"], kit.InService.Select(i => i.Id));
    }
}
