using Microsoft.Extensions.Time.Testing;
using Loadstone.Tests.Balancing;
using Loadstone.Tests.Health;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Pools;

/// <summary>
/// Reloaded options reach every part of a running pool: the failure policies, the strategy (kept when its name stays),
/// sticky sessions (kept when their settings stay) and the running prober.
/// </summary>
public sealed class ServicePoolReloadTests
{
    [Fact]
    public void TryApplyOptions_FailurePoliciesSwitched_EachFollowsItsEnabledFlag()
    {
        using var pool = Pool(Options(retries: true, requeues: true, hedging: false));
        Assert.NotNull(pool.Retry);
        Assert.NotNull(pool.Requeue);
        Assert.Null(pool.Hedging);

        Assert.True(pool.TryApplyOptions(Options(retries: false, requeues: false, hedging: true)));

        Assert.Null(pool.Retry);
        Assert.Null(pool.Requeue);
        Assert.NotNull(pool.Hedging);

        Assert.True(pool.TryApplyOptions(Options(retries: true, requeues: false, hedging: false)));

        Assert.NotNull(pool.Retry);
        Assert.Null(pool.Requeue);
        Assert.Null(pool.Hedging);
    }

    [Fact]
    public void TryApplyOptions_RetrySettingsChanged_NewPolicyCarriesThem()
    {
        using var pool = Pool(Options(retries: true, requeues: true, hedging: false));
        var reloaded = Options(retries: true, requeues: true, hedging: false);
        reloaded.Retries.MaxRetryAttempts = 4;

        Assert.True(pool.TryApplyOptions(reloaded));

        Assert.Equal(4, pool.Retry!.Options.MaxRetryAttempts);
    }

    [Fact]
    public void TryApplyOptions_HedgingStaysOn_KeepsItsLatencyWindow()
    {
        using var pool = Pool(Options(retries: true, requeues: true, hedging: true));
        var window = pool.Hedging!.Latencies;

        Assert.True(pool.TryApplyOptions(Options(retries: false, requeues: true, hedging: true)));

        Assert.Same(window, pool.Hedging!.Latencies);
    }

    [Fact]
    public void TryApplyOptions_SameStrategyInAnotherCase_KeepsItsPosition()
    {
        using var pool = Pool(Options(retries: true, requeues: true, hedging: false));
        Assert.Equal([0, 1], Picks.Sequence(pool, 2));

        var reloaded = Options(retries: true, requeues: true, hedging: false);
        reloaded.Strategy = "roundrobin";
        Assert.True(pool.TryApplyOptions(reloaded));

        // The round robin goes on where it was (a new one would start again at the first endpoint).
        Assert.Equal([2, 0, 1], Picks.Sequence(pool, 3));
    }

    [Fact]
    public void TryApplyOptions_OtherStrategy_TakesEffectOnTheNextPick()
    {
        using var pool = Pool(Options(retries: true, requeues: true, hedging: false));
        var reloaded = Options(retries: true, requeues: true, hedging: false);
        reloaded.Strategy = LoadBalancingStrategies.FirstAvailable;

        Assert.True(pool.TryApplyOptions(reloaded));

        Assert.Equal(LoadBalancingStrategies.FirstAvailable, pool.StrategyName);
        Assert.Equal([0, 0, 0], Picks.Sequence(pool, 3));
    }

    [Fact]
    public void TryApplyOptions_StickySettingsKeptOrChanged_RouterKeptOnlyWhenTheyStay()
    {
        var options = Options(retries: true, requeues: true, hedging: false);
        options.StickySessions.KeyFromHeader("X-User");
        using var pool = Pool(options);
        var router = pool.StickyRouter;
        Assert.NotNull(router);

        var same = Options(retries: false, requeues: true, hedging: false);
        same.StickySessions.KeyFromHeader("X-User");
        Assert.True(pool.TryApplyOptions(same));
        Assert.Same(router, pool.StickyRouter);

        var otherHeader = Options(retries: false, requeues: true, hedging: false);
        otherHeader.StickySessions.KeyFromHeader("X-Tenant");
        Assert.True(pool.TryApplyOptions(otherHeader));
        Assert.NotSame(router, pool.StickyRouter);
        Assert.NotNull(pool.StickyRouter);

        Assert.True(pool.TryApplyOptions(Options(retries: false, requeues: true, hedging: false)));
        Assert.Null(pool.StickyRouter);
    }

    [Fact]
    public async Task TryApplyOptions_ActiveCheckIntervalChanged_RunningProberUsesTheNewInterval()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate(); // counts probes as they are sent, within the clock's advance
        PoolSetup Setup(TimeSpan interval)
        {
            var setup = HealthKit.Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
            EnableActive(setup, a => a.Interval = interval);
            setup.ProbeHandler = () => gate;
            return setup;
        }

        using var pool = Setup(TimeSpan.FromSeconds(10)).Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first probe");

        // Reloaded before the first answer's timer fires: that one was armed at 10 s; every later one at 30 s.
        Assert.True(pool.TryApplyOptions(Setup(TimeSpan.FromSeconds(30)).Options));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, gate.Started);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 2, "the second probe's answer");
        time.Advance(TimeSpan.FromSeconds(29));

        Assert.Equal(2, gate.Started);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, gate.Started);
    }

    private static LoadBalancingOptions Options(bool retries, bool requeues, bool hedging)
    {
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
        for (var i = 0; i < 3; i++)
        {
            options.Endpoints.Add(Fake(i));
        }

        options.Retries.Enabled = retries;
        options.Requeues.Enabled = requeues;
        options.Hedging.Enabled = hedging;
        return options;
    }

    private static ServicePool Pool(LoadBalancingOptions options) =>
        new("catalog", options, new ServicePoolDependencies { TimeProvider = TestClock.Create(), Random = new Random(1) });
}
