namespace Loadstone.Scaling.Tests;

public sealed class ActivityLogTests
{
    [Fact]
    public void Start_MoreThanTheHistoryKeeps_DropsTheOldest()
    {
        var parts = new GroupParts(o => o.MaxActivityHistory = 2);
        parts.Run(now =>
        {
            for (var i = 1; i <= 3; i++)
            {
                parts.Context.Activities.Start(ScalingActivityKind.Launch, $"launch {i}", "test", now, $"i-{i}");
            }
        });

        Assert.Equal(["launch 2", "launch 3"], parts.Context.Activities.Snapshot().Select(a => a.Description));
        Assert.Equal([1L, 2, 3], parts.Started.Select(a => a.Id));
    }

    [Fact]
    public void End_RaisesEndedOnceAfterTheLockIsReleased()
    {
        var parts = new GroupParts();
        ScalingActivity? activity = null;
        var heldWhenRaised = true;
        parts.Run(now => activity = parts.Context.Activities.Start(ScalingActivityKind.Terminate, "terminate", "test", now, "i-1"));
        parts.Time.Advance(TimeSpan.FromSeconds(3));

        parts.Run(now =>
        {
            parts.Context.Activities.End(activity!, now, ScalingActivityStatus.Failed, "the launcher failed");
            parts.Context.Activities.End(activity!, now, ScalingActivityStatus.Successful);
            parts.Runner.Defer(() => heldWhenRaised = parts.Runner.Gate.IsHeldByCurrentThread);
        });

        var ended = Assert.Single(parts.Ended);
        Assert.False(heldWhenRaised);
        Assert.Equal(ScalingActivityStatus.Failed, ended.Status);
        Assert.Equal("the launcher failed", ended.StatusMessage);
        Assert.Equal(TestClock.Start.AddSeconds(3), ended.EndTime);
    }

    [Fact]
    public void RecordCapacityChange_StartsAndEndsAtOnce()
    {
        var parts = new GroupParts();
        parts.Run(now => parts.Context.Activities.RecordCapacityChange(1, 5, 3, "because", now));

        var change = Assert.Single(parts.Context.Activities.Snapshot());
        Assert.Equal((ScalingActivityKind.CapacityChange, ScalingActivityStatus.Successful), (change.Kind, change.Status));
        Assert.Equal("Setting capacity: min 1, max 5, desired 3", change.Description);
        Assert.Equal("because", change.Cause);
        Assert.Null(change.InstanceId);
    }
}
