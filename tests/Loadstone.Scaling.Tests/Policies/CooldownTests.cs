namespace Loadstone.Scaling.Tests;

public sealed class CooldownTests
{
    [Fact]
    public void Reason_ActivityThenCooldownThenNone()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 5; o.DesiredCapacity = 2; });
        parts.AddInService();
        var cooldown = new Cooldown(parts.Context);
        Assert.Null(cooldown.Reason(parts.Now));

        cooldown.Begin(TimeSpan.FromSeconds(120));
        cooldown.Track(parts.Now); // one instance of two: the activity is not over
        Assert.Equal("a simple scaling activity is still in progress", cooldown.Reason(parts.Now));

        parts.Time.Advance(TimeSpan.FromSeconds(30));
        parts.AddInService();
        cooldown.Track(parts.Now);
        Assert.Equal("the cooldown runs until 2026-01-01T00:02:30Z", cooldown.Reason(parts.Now));

        parts.Time.Advance(TimeSpan.FromSeconds(120));
        Assert.Null(cooldown.Reason(parts.Now));
    }

    [Fact]
    public void Track_AnInstanceStillTerminating_NotSettled()
    {
        var parts = new GroupParts(o => { o.MinSize = 1; o.MaxSize = 5; o.DesiredCapacity = 1; });
        parts.AddInService();
        parts.AddInService().State = ScalingInstanceState.Terminating;
        var cooldown = new Cooldown(parts.Context);
        cooldown.Begin(TimeSpan.FromSeconds(60));

        cooldown.Track(parts.Now);

        Assert.Equal("a simple scaling activity is still in progress", cooldown.Reason(parts.Now));
    }
}
