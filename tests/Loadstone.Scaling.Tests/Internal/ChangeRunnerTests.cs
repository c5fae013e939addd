using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Scaling.Tests;

public sealed class ChangeRunnerTests
{
    private static ChangeRunner Runner(FakeLogger? logger = null) => new("unit", TestClock.Create(), (ILogger?)logger ?? new FakeLogger());

    [Fact]
    public void Run_DeferredWork_RunsInOrderOutsideTheLock()
    {
        var runner = Runner();
        var seen = new List<(int Step, bool LockHeld)>();

        var ran = runner.Run(_ =>
        {
            runner.Defer(() => seen.Add((1, runner.Gate.IsHeldByCurrentThread)));
            runner.Defer(() => seen.Add((2, runner.Gate.IsHeldByCurrentThread)));
            seen.Add((0, runner.Gate.IsHeldByCurrentThread));
        }, reconcile: false);

        Assert.True(ran);
        Assert.Equal([(0, true), (1, false), (2, false)], seen);
    }

    [Fact]
    public void Run_CalledFromInsideAChange_QueuedAndAppliedByTheHolderBeforeItsPass()
    {
        var runner = Runner();
        var order = new List<string>();
        runner.Reconciler = _ => order.Add("pass");
        var inner = true;

        runner.Run(_ =>
        {
            order.Add("outer");
            inner = runner.Run(_ => order.Add("inner"), reconcile: true);
        }, reconcile: true);

        Assert.False(inner);
        Assert.Equal(["outer", "inner", "pass"], order);
    }

    [Fact]
    public void Run_BeforeAReconcilerIsSet_ChangesRunWithoutAPass()
    {
        var runner = Runner();
        var changed = false;
        Assert.True(runner.Run(_ => changed = true, reconcile: true));
        Assert.True(changed);
    }

    [Fact]
    public void Run_Stopped_IgnoresChanges()
    {
        var runner = Runner();
        runner.IsStopped = true;
        var changed = false;

        Assert.False(runner.Run(_ => changed = true, reconcile: false));
        Assert.False(changed);
    }

    [Fact]
    public void Run_PassThrows_LoggedAndTheNextRunPassesAgain()
    {
        var logger = new FakeLogger();
        var runner = Runner(logger);
        var passes = 0;
        runner.Reconciler = _ =>
        {
            if (++passes == 1)
            {
                throw new InvalidOperationException("metric delegate failed");
            }
        };

        Assert.True(runner.Run(null, reconcile: true));
        Assert.True(runner.Run(null, reconcile: true));

        Assert.Equal(2, passes);
        var record = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 105);
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("metric delegate failed", record.Exception?.Message);
    }

    [Fact]
    public void Run_DeferredHandlerThrows_LoggedAndTheRestStillRuns()
    {
        var logger = new FakeLogger();
        var runner = Runner(logger);
        var after = false;

        runner.Run(_ =>
        {
            runner.Defer(() => throw new InvalidOperationException("handler failed"));
            runner.Defer(() => after = true);
        }, reconcile: false);

        Assert.True(after);
        Assert.Equal("handler failed", Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 106).Exception?.Message);
    }

    [Fact]
    public void Run_ChangeSeesTheClock()
    {
        var time = TestClock.Create();
        var runner = new ChangeRunner("unit", time, new FakeLogger());
        time.Advance(TimeSpan.FromMinutes(5));
        DateTimeOffset seen = default;
        runner.Run(now => seen = now, reconcile: false);
        Assert.Equal(TestClock.Start.AddMinutes(5), seen);
    }
}
