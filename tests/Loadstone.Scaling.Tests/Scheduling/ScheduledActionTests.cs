namespace Loadstone.Scaling.Tests;

public sealed class ScheduledActionTests
{
    [Fact]
    public void Recurrence_WeekdayMornings_SetsCapacityAtTheRightTimes()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.ReconcileInterval = TimeSpan.FromMinutes(1);
            o.ScheduledActions.Add(new ScheduledAction { Name = "morning", Recurrence = "0 8 * * MON-FRI", DesiredCapacity = 5 });
            o.ScheduledActions.Add(new ScheduledAction { Name = "evening", Recurrence = "0 18 * * *", DesiredCapacity = 1 });
        });

        kit.Advance(TimeSpan.FromHours(8) - TimeSpan.FromMinutes(1));
        Assert.Equal(1, kit.Group.DesiredCapacity);
        kit.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(5, kit.Group.DesiredCapacity);
        Assert.Equal(5, kit.InService.Count);
        kit.Advance(TimeSpan.FromHours(10));
        Assert.Equal(1, kit.Group.DesiredCapacity);

        // Friday morning scales out again; Saturday (2026-01-03) does not.
        kit.Advance(TimeSpan.FromHours(14));
        Assert.Equal(5, kit.Group.DesiredCapacity);
        kit.Advance(TimeSpan.FromHours(24));
        Assert.Equal(1, kit.Group.DesiredCapacity);
        Assert.Contains(kit.Group.Activities, a => a.Kind == ScalingActivityKind.Launch
            && a.Cause.StartsWith("At 2026-01-02T08:00:00Z scheduled action 'morning' (due 2026-01-02T08:00:00Z) changed the desired capacity from 1 to 5.", StringComparison.Ordinal));
    }

    [Fact]
    public void Recurrence_BothDayFieldsRestricted_RunsOnEitherDay()
    {
        // The 1st of the month or a Saturday: Thursday 2026-01-01 by day of month, Saturday 2026-01-03 by day of week.
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.ReconcileInterval = TimeSpan.FromMinutes(1);
            o.ScheduledActions.Add(new ScheduledAction { Name = "busy-days", Recurrence = "0 9 1 * SAT", DesiredCapacity = 3 });
            o.ScheduledActions.Add(new ScheduledAction { Name = "evening", Recurrence = "0 18 * * *", DesiredCapacity = 1 });
        });

        var raised = new List<DateTimeOffset>();
        kit.Group.ActivityEnded += (_, e) =>
        {
            if (e.Activity.Kind == ScalingActivityKind.CapacityChange && e.Activity.Cause.Contains("'busy-days'", StringComparison.Ordinal))
            {
                raised.Add(e.Activity.StartTime);
            }
        };
        kit.Advance(TimeSpan.FromDays(4));

        Assert.Equal([new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 3, 9, 0, 0, TimeSpan.Zero)], raised);
    }

    [Fact]
    public void OneTime_SetsMinAndMax_DesiredClampedIntoRange()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.DesiredCapacity = 2;
            o.ReconcileInterval = TimeSpan.FromMinutes(1);
            o.ScheduledActions.Add(new ScheduledAction { Name = "sale", StartTime = new DateTimeOffset(2026, 1, 1, 0, 30, 0, TimeSpan.Zero), MinSize = 4, MaxSize = 8 });
        });
        kit.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal((4, 8, 4), (kit.Group.MinSize, kit.Group.MaxSize, kit.Group.DesiredCapacity));
        kit.Advance(TimeSpan.FromDays(1));
        Assert.Equal(4, kit.Group.MinSize);
    }

    [Fact]
    public void Recurrence_InTimeZone_RunsAtLocalTime()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.ReconcileInterval = TimeSpan.FromMinutes(1);
            o.ScheduledActions.Add(new ScheduledAction
            {
                Name = "ny-morning",
                Recurrence = "0 8 * * *",
                TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York"),
                DesiredCapacity = 3,
            });
        });
        kit.Advance(TimeSpan.FromHours(13) - TimeSpan.FromMinutes(1));
        Assert.Equal(1, kit.Group.DesiredCapacity);
        kit.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void SuspendProcesses_ScheduledActions_DueActionSkippedNotRunLater()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 10;
            o.ScheduledActions.Add(new ScheduledAction { Name = "hourly", Recurrence = "0 * * * *", DesiredCapacity = 3 });
        });
        kit.Group.SuspendProcesses(ScalingProcesses.ScheduledActions);
        kit.Advance(TimeSpan.FromMinutes(61));
        kit.Group.ResumeProcesses(ScalingProcesses.ScheduledActions);
        Assert.Equal(1, kit.Group.DesiredCapacity);
        kit.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(3, kit.Group.DesiredCapacity);
    }
}
