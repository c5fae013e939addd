using Microsoft.Extensions.Options;

namespace Loadstone.Scaling.Tests;

public sealed class ScalingGroupOptionsTests
{
    private static OptionsValidationException Invalid(Action<ScalingGroupOptions> configure)
    {
        var options = new ScalingGroupOptions();
        configure(options);
        return Assert.Throws<OptionsValidationException>(() => new ScalingGroup("web", options, new InMemoryInstanceLauncher()));
    }

    [Fact]
    public void Constructor_DesiredNotGiven_DefaultsToMin()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 5; }, start: false);
        Assert.Equal(2, kit.Group.DesiredCapacity);
        Assert.Equal(2, kit.Group.MinSize);
        Assert.Equal(5, kit.Group.MaxSize);
    }

    [Fact]
    public void Constructor_MinAboveMax_MessageNamesBothSettings()
    {
        var ex = Invalid(o => { o.MinSize = 3; o.MaxSize = 2; });
        Assert.Contains("Scaling group 'web': MinSize (3) must not exceed MaxSize (2).", ex.Failures);
    }

    [Fact]
    public void Constructor_DesiredOutsideRange_MessageNamesDesiredCapacity()
    {
        var ex = Invalid(o => { o.MinSize = 1; o.MaxSize = 3; o.DesiredCapacity = 4; });
        Assert.Contains("Scaling group 'web': DesiredCapacity (4) must be between MinSize (1) and MaxSize (3).", ex.Failures);
    }

    [Fact]
    public void Constructor_SeveralProblems_ListsEveryOne()
    {
        var ex = Invalid(o =>
        {
            o.MaxSize = 0;
            o.InstanceWarmup = TimeSpan.FromSeconds(3601);
            o.MaxInstanceLifetime = TimeSpan.FromHours(23);
            o.LifecycleHooks.Add(new LifecycleHook { Name = "h", Transition = LifecycleTransition.Launching, HeartbeatTimeout = TimeSpan.FromSeconds(10) });
        });
        Assert.Contains(ex.Failures, f => f.Contains("MaxSize (0) must be between 1 and 10000", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("InstanceWarmup (01:00:01)", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MaxInstanceLifetime (23:00:00) must be 0 (no limit) or at least 1 day", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("LifecycleHooks['h'].HeartbeatTimeout (00:00:10) must be between 30 s and 7200 s", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_DuplicatePolicyNames_Rejected()
    {
        var ex = Invalid(o =>
        {
            o.Policies.Add(new SimpleScalingPolicy { Name = "p", ScalingAdjustment = 1 });
            o.Policies.Add(new SimpleScalingPolicy { Name = "p", ScalingAdjustment = -1 });
        });
        Assert.Contains("Scaling group 'web': Policies has two entries named 'p'.", ex.Failures);
    }

    [Fact]
    public void Constructor_MinAdjustmentMagnitudeOnChangeInCapacity_Rejected()
    {
        var ex = Invalid(o => o.Policies.Add(new SimpleScalingPolicy { Name = "p", ScalingAdjustment = 1, MinAdjustmentMagnitude = 2 }));
        Assert.Contains(ex.Failures, f => f.Contains("Policies['p'].MinAdjustmentMagnitude applies to PercentChangeInCapacity only", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_BadCron_MessageNamesActionAndField()
    {
        var ex = Invalid(o => o.ScheduledActions.Add(new ScheduledAction { Name = "night", Recurrence = "0 25 * * *", DesiredCapacity = 1 }));
        Assert.Contains("Scaling group 'web': ScheduledActions['night'].Recurrence: Cron expression '0 25 * * *' is not valid: Hours: Value must be a number between 0 and 23 (all inclusive).", ex.Failures);
    }

    [Fact]
    public void Constructor_RecurrenceThatNeverOccurs_Rejected()
    {
        var ex = Invalid(o => o.ScheduledActions.Add(new ScheduledAction { Name = "leap", Recurrence = "0 0 30 2 *", DesiredCapacity = 1 }));
        Assert.Contains("Scaling group 'web': ScheduledActions['leap'].Recurrence: cron expression '0 0 30 2 *' never occurs.", ex.Failures);
    }

    [Fact]
    public void SetDesiredCapacity_OutsideRange_ThrowsAndKeepsCapacity()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 3; });
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => kit.Group.SetDesiredCapacity(4));
        Assert.Contains("between MinSize (1) and MaxSize (3)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void UpdateCapacity_MinAboveDesired_RaisesDesiredToMin()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 1; o.MaxSize = 10; });
        kit.Group.UpdateCapacity(minSize: 4);
        Assert.Equal(4, kit.Group.DesiredCapacity);
        Assert.Equal(4, kit.InService.Count);
        kit.Group.UpdateCapacity(maxSize: 4, minSize: 0);
        kit.Group.UpdateCapacity(maxSize: 2);
        Assert.Equal(2, kit.Group.DesiredCapacity);
    }
}
