namespace Loadstone.Scaling.Tests;

public sealed class SimpleScalingTests
{
    private static ScalingTestKit Group(int desired, int max, params ScalingPolicy[] policies) =>
        new(o =>
        {
            o.MinSize = 0;
            o.MaxSize = max;
            o.DesiredCapacity = desired;
            foreach (var p in policies)
            {
                o.Policies.Add(p);
            }
        });

    [Theory]
    [InlineData(1, 3)]
    [InlineData(50, 3)]
    [InlineData(100, 4)]
    [InlineData(250, 7)]
    public void ExecutePolicy_PercentChangeOnGroupOfTwo_MatchesReferenceCases(int percent, int expected)
    {
        using var kit = Group(2, 100, new SimpleScalingPolicy { Name = "pct", AdjustmentType = AdjustmentType.PercentChangeInCapacity, ScalingAdjustment = percent });
        var result = kit.Group.ExecutePolicy("pct");
        Assert.True(result.Executed);
        Assert.Equal(expected, kit.Group.DesiredCapacity);
        Assert.Equal(expected, kit.InService.Count);
    }

    [Fact]
    public void ExecutePolicy_PercentChangeBeyondMax_ClampedToMax()
    {
        using var kit = Group(2, 5, new SimpleScalingPolicy { Name = "pct", AdjustmentType = AdjustmentType.PercentChangeInCapacity, ScalingAdjustment = 250 });
        kit.Group.ExecutePolicy("pct");
        Assert.Equal(5, kit.Group.DesiredCapacity);
    }

    [Theory]
    [InlineData(10, -15, null, -1)] // −1.5 rounds toward zero
    [InlineData(10, -5, null, -1)]  // −0.5 becomes −1
    [InlineData(10, 15, null, 1)]   // 1.5 rounds down
    [InlineData(10, 5, null, 1)]    // 0.5 becomes 1
    [InlineData(10, 10, 3, 3)]      // 1 raised to the minimum magnitude
    [InlineData(10, -10, 3, -3)]
    [InlineData(10, 50, 3, 5)]      // already above the minimum
    [InlineData(10, 0, 3, 0)]
    [InlineData(3, -100, null, -3)]
    public void Change_Percent_AwsRounding(int current, int percent, int? minMagnitude, int expected) =>
        Assert.Equal(expected, ScalingMath.Change(current, AdjustmentType.PercentChangeInCapacity, percent, minMagnitude));

    [Theory]
    [InlineData(AdjustmentType.ChangeInCapacity, -2, 3)]
    [InlineData(AdjustmentType.ExactCapacity, 2, 2)]
    [InlineData(AdjustmentType.ExactCapacity, 9, 6)]
    [InlineData(AdjustmentType.ChangeInCapacity, -9, 1)]
    public void ExecutePolicy_OtherAdjustmentTypes_ClampedToRange(AdjustmentType type, int adjustment, int expected)
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 6;
            o.DesiredCapacity = 5;
            o.Policies.Add(new SimpleScalingPolicy { Name = "p", AdjustmentType = type, ScalingAdjustment = adjustment });
        });
        kit.Group.ExecutePolicy("p");
        Assert.Equal(expected, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void ExecutePolicy_AgainWithinDefaultCooldown_RefusedUntil300Seconds()
    {
        using var kit = Group(1, 10, new SimpleScalingPolicy { Name = "out", ScalingAdjustment = 1 });
        Assert.True(kit.Group.ExecutePolicy("out").Executed);
        kit.Seconds(1);

        var refused = kit.Group.ExecutePolicy("out");
        Assert.False(refused.Executed);
        Assert.Equal("the cooldown runs until 2026-01-01T00:05:00Z", refused.Reason);
        kit.Seconds(298);
        Assert.False(kit.Group.ExecutePolicy("out").Executed);
        kit.Seconds(1);
        Assert.True(kit.Group.ExecutePolicy("out").Executed);
        Assert.Equal(3, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void ExecutePolicy_HonorCooldownFalse_RunsAnyway()
    {
        using var kit = Group(1, 10, new SimpleScalingPolicy { Name = "out", ScalingAdjustment = 1 });
        kit.Group.ExecutePolicy("out");
        Assert.True(kit.Group.ExecutePolicy("out", honorCooldown: false).Executed);
        Assert.Equal(3, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void ExecutePolicy_PolicyCooldown_OverridesDefault()
    {
        using var kit = Group(1, 10, new SimpleScalingPolicy { Name = "out", ScalingAdjustment = 1, Cooldown = TimeSpan.FromSeconds(30) });
        kit.Group.ExecutePolicy("out");
        kit.Seconds(29);
        Assert.False(kit.Group.ExecutePolicy("out").Executed);
        kit.Seconds(1);
        Assert.True(kit.Group.ExecutePolicy("out").Executed);
    }

    [Fact]
    public void ExecutePolicy_ActivityStillRunning_CooldownStartsWhenItCompletes()
    {
        var waiting = new List<string>();
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 10;
            o.DesiredCapacity = 0;
            o.Policies.Add(new SimpleScalingPolicy { Name = "out", ScalingAdjustment = 1, Cooldown = TimeSpan.FromSeconds(60) });
            o.LifecycleHooks.Add(new LifecycleHook { Name = "hold", Transition = LifecycleTransition.Launching });
        }, start: false);
        kit.Group.LifecycleActionRequired += (_, e) => waiting.Add(e.Instance.Id);
        kit.Group.Start();

        kit.Group.ExecutePolicy("out");
        kit.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("a simple scaling activity is still in progress", kit.Group.ExecutePolicy("out").Reason);

        kit.Group.CompleteLifecycleAction(waiting[0], "hold", LifecycleActionResult.Continue);
        kit.Seconds(59);
        Assert.False(kit.Group.ExecutePolicy("out").Executed);
        kit.Seconds(1);
        Assert.True(kit.Group.ExecutePolicy("out").Executed);
    }

    [Fact]
    public void SetDesiredCapacity_HonorCooldown_RefusedDuringCooldown()
    {
        using var kit = Group(1, 10, new SimpleScalingPolicy { Name = "out", ScalingAdjustment = 1 });
        kit.Group.ExecutePolicy("out");
        Assert.False(kit.Group.SetDesiredCapacity(5, honorCooldown: true).Executed);
        Assert.True(kit.Group.SetDesiredCapacity(5).Executed);
        Assert.Equal(5, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void ExecutePolicy_Unknown_ThrowsNamingIt()
    {
        using var kit = Group(1, 10);
        var ex = Assert.Throws<ArgumentException>(() => kit.Group.ExecutePolicy("nope"));
        Assert.Contains("no policy named 'nope'", ex.Message, StringComparison.Ordinal);
    }
}
