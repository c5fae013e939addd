namespace Loadstone.Scaling.Tests;

public sealed class GroupCapacityTests
{
    [Fact]
    public void Constructor_DesiredNotGiven_MinAndACauseThatSaysSo()
    {
        var capacity = new GroupParts(o => { o.MinSize = 2; o.MaxSize = 5; }).Context.Capacity;
        Assert.Equal((2, 5, 2), (capacity.Min, capacity.Max, capacity.Desired));
        Assert.Equal("At 2026-01-01T00:00:00Z the group was created with a desired capacity of 2.", capacity.DesiredCause);
    }

    [Fact]
    public void Apply_DesiredOutsideTheNewRange_ClampedAndRecorded()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 10; o.DesiredCapacity = 8; });
        parts.Run(now => parts.Context.Capacity.Apply(2, 4, null, now, "scheduled action 'night' (due 2026-01-01T00:00:00Z)"));

        var capacity = parts.Context.Capacity;
        Assert.Equal((2, 4, 4), (capacity.Min, capacity.Max, capacity.Desired));
        Assert.Equal("At 2026-01-01T00:00:00Z scheduled action 'night' (due 2026-01-01T00:00:00Z) changed the desired capacity from 8 to 4.", capacity.DesiredCause);
        var change = Assert.Single(parts.Context.Activities.Snapshot());
        Assert.Equal("At 2026-01-01T00:00:00Z scheduled action 'night' (due 2026-01-01T00:00:00Z) set min 1→2, max 10→4, desired capacity 8→4.", change.Cause);
    }

    [Fact]
    public void Apply_NothingChanges_RecordsNothing()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 3; });
        parts.Run(now => parts.Context.Capacity.Apply(1, 3, 1, now, "a user request"));
        Assert.Empty(parts.Context.Activities.Snapshot());
    }

    [Fact]
    public void ChangeDesired_ClampedToMax_CauseNamesWho()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 3; });
        var changed = false;
        parts.Run(now => changed = parts.Context.Capacity.ChangeDesired(7, now, "simple scaling policy 'out' (+6 instance(s))"));

        Assert.True(changed);
        Assert.Equal(3, parts.Context.Capacity.Desired);
        Assert.Equal("At 2026-01-01T00:00:00Z simple scaling policy 'out' (+6 instance(s)) changed the desired capacity from 1 to 3.", parts.Context.Capacity.DesiredCause);
    }

    [Fact]
    public void ChangeDesired_SameValue_False()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 3; o.DesiredCapacity = 3; });
        var changed = true;
        parts.Run(now => changed = parts.Context.Capacity.ChangeDesired(4, now, "x"));
        Assert.False(changed);
        Assert.Empty(parts.Context.Activities.Snapshot());
    }
}
