using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Health;

/// <summary>
/// The outlier detector's bookkeeping around an ejection: one ejection per streak however the control plane is
/// delayed, streaks and recent failures forgotten when an ejection starts and when it ends, and a rule set to 0 off.
/// </summary>
public sealed class EjectionBookkeepingTests
{
    private static readonly TimeSpan BaseEjection = TimeSpan.FromSeconds(30);

    private static async Task<(ServicePool Pool, FakeTimeProvider Time)> CreateAsync(int endpoints, Action<OutlierDetectionOptions> configure)
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.FirstAvailable, Enumerable.Range(0, endpoints).Select(Fake).ToArray());
        var passive = setup.Options.HealthChecks.Passive;
        passive.ConsecutiveServerErrors = 0;
        passive.ConsecutiveGatewayErrors = 0;
        passive.ConsecutiveLocalFailures = 0;
        passive.FailureRateThreshold = 0;
        passive.SuccessRateStdevFactor = 0;
        passive.BaseEjectionTime = BaseEjection;
        passive.MaxEjectionPercent = 100;
        configure(passive);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        return (pool, time);
    }

    [Fact]
    public async Task Ejection_ThresholdCrossedTwiceBeforeTheControlPlaneRuns_EjectedOnce()
    {
        var (pool, time) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 5);
        using var _1 = pool;
        var state = pool.Endpoints[0];
        using var held = new ManualResetEventSlim();
        pool.ControlPlane.Post(static h => ((ManualResetEventSlim)h!).Wait(), held);

        // Ten 5xx in a row while the control plane is busy: the streak crosses 5 twice, and two ejections are queued.
        for (var i = 0; i < 10; i++)
        {
            new EndpointLease(state, time).Complete(RequestOutcome.ServerError);
        }

        held.Set();
        await pool.SettleAsync();

        // The second finds the endpoint already ejected: one ejection, of the base length, not a doubled one.
        Assert.Equal(EndpointHealth.Unhealthy, state.Health);
        Assert.Equal(1, Status(pool, 0).Ejections);
        Assert.Equal(time.GetUtcNow() + BaseEjection, state.EjectedUntil);
    }

    [Fact]
    public async Task Ejection_Starts_StreakAndRecentFailuresForgotten()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 5);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.ServerError, 5);

        Assert.Equal(EndpointHealth.Unhealthy, state.Health);
        Assert.Equal(0, state.FailureStreak);
        Assert.Equal(0, state.RecentFailureRate);
    }

    [Fact]
    public async Task Ejection_Ends_FailuresOfRequestsStillInFlightDuringItForgotten()
    {
        var (pool, time) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 5);
        using var _1 = pool;
        var state = pool.Endpoints[0];
        CompleteOn(pool, state, RequestOutcome.ServerError, 5);
        Assert.Equal(EndpointHealth.Unhealthy, state.Health);

        // Requests sent before the ejection keep failing during it: a streak of 3 that the ejection already paid for.
        CompleteOn(pool, state, RequestOutcome.ServerError, 3);
        time.Advance(BaseEjection);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        Assert.Equal(0, state.FailureStreak);

        // Back in service with a clean slate: 4 more failures are not 5 in a row.
        CompleteOn(pool, state, RequestOutcome.ServerError, 4);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        CompleteOn(pool, state, RequestOutcome.ServerError);
        Assert.Equal(EndpointHealth.Unhealthy, state.Health);
    }

    [Fact]
    public async Task FailureRate_ThresholdZero_IsOffWhateverTheFailures()
    {
        var (pool, time) = await CreateAsync(4, p =>
        {
            p.FailureRateThreshold = 0;
            p.FailureRateMinimumRequests = 10;
            p.FailureRateMinimumHosts = 0;
        });
        using var _1 = pool;
        foreach (var state in pool.Endpoints)
        {
            CompleteOn(pool, state, state == pool.Endpoints[0] ? RequestOutcome.ServerError : RequestOutcome.Success, 20);
        }

        time.Advance(TimeSpan.FromSeconds(10)); // the interval ends: the rate rules run

        Assert.All(pool.Endpoints, s => Assert.Equal(EndpointHealth.Unchecked, s.Health));
    }

    [Fact]
    public async Task SuccessRate_FactorZero_IsOffWhateverTheFailures()
    {
        var (pool, time) = await CreateAsync(5, p =>
        {
            p.SuccessRateStdevFactor = 0;
            p.SuccessRateMinimumRequests = 10;
            p.SuccessRateMinimumHosts = 1;
        });
        using var _1 = pool;
        foreach (var state in pool.Endpoints)
        {
            CompleteOn(pool, state, state == pool.Endpoints[0] ? RequestOutcome.ServerError : RequestOutcome.Success, 20);
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.All(pool.Endpoints, s => Assert.Equal(EndpointHealth.Unchecked, s.Health));
    }

    [Fact]
    public async Task Ejection_TwoEndpointsCrossInOneControlPlaneTurn_BothOutAndNeitherLeftAvoided()
    {
        var logs = new FakeLogCollector();
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, 4).Select(Fake).ToArray());
        setup.Options.HealthChecks.Passive.ConsecutiveServerErrors = 3;
        setup.Options.HealthChecks.Passive.MaxEjectionPercent = 100;
        using var pool = new ServicePool("catalog", setup.Options, new ServicePoolDependencies { TimeProvider = time, LoggerFactory = logs.CreateFactory() });
        await pool.InitializeAsync();
        var (a, b) = (pool.Endpoints[0], pool.Endpoints[1]);
        using var held = new ManualResetEventSlim();
        pool.ControlPlane.Post(static h => ((ManualResetEventSlim)h!).Wait(), held);
        for (var i = 0; i < 3; i++)
        {
            new EndpointLease(a, time).Complete(RequestOutcome.ServerError);
            new EndpointLease(b, time).Complete(RequestOutcome.ServerError);
        }

        held.Set();
        await pool.SettleAsync();

        // One turn ejects both and publishes once; both are then out of the snapshot, and neither stays marked as
        // "being ejected" (which would keep picks away from it after its ejection ends). The turn queued for the second
        // crossing finds nothing left to do, and must not fail.
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealth.Unhealthy), (a.Health, b.Health));
        Assert.Equal((false, false), (a.EjectionPending, b.EjectionPending));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        time.Advance(BaseEjection);
        Assert.Equal([0, 1, 2, 3], Enumerable.Range(0, 8).Select(_ => Picks(pool)).Distinct().Order());
    }

    [Fact]
    public async Task FailureRate_TwoEndpointsAtOneEvaluation_BothEjected()
    {
        var (pool, time) = await CreateAsync(5, p =>
        {
            p.FailureRateThreshold = 0.5;
            p.FailureRateMinimumRequests = 10;
            p.FailureRateMinimumHosts = 0;
        });
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 10);
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ServerError, 10);

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealth.Unhealthy), (pool.Endpoints[0].Health, pool.Endpoints[1].Health));
    }

    [Fact]
    public async Task SuccessRate_TwoOutliersAtOneEvaluation_BothEjected()
    {
        var (pool, time) = await CreateAsync(6, p =>
        {
            p.SuccessRateStdevFactor = 1;
            p.SuccessRateMinimumRequests = 10;
            p.SuccessRateMinimumHosts = 1;
        });
        using var _1 = pool;
        foreach (var state in pool.Endpoints)
        {
            var failing = state == pool.Endpoints[0] || state == pool.Endpoints[1];
            CompleteOn(pool, state, RequestOutcome.ServerError, failing ? 10 : 0);
            CompleteOn(pool, state, RequestOutcome.Success, failing ? 10 : 20);
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal([EndpointHealth.Unhealthy, EndpointHealth.Unhealthy, EndpointHealth.Unchecked, EndpointHealth.Unchecked, EndpointHealth.Unchecked, EndpointHealth.Unchecked],
            pool.Endpoints.Select(s => s.Health));
    }

    [Fact]
    public async Task SuccessRate_EveryEndpointAlike_NoneEjected()
    {
        // Equal success rates: every rate equals the mean and the spread is 0, so none is below mean − factor × σ.
        var (pool, time) = await CreateAsync(5, p =>
        {
            p.SuccessRateStdevFactor = 1.9;
            p.SuccessRateMinimumRequests = 10;
            p.SuccessRateMinimumHosts = 1;
        });
        using var _1 = pool;
        foreach (var state in pool.Endpoints)
        {
            CompleteOn(pool, state, RequestOutcome.ServerError, 2);
            CompleteOn(pool, state, RequestOutcome.Success, 18);
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.All(pool.Endpoints, s => Assert.Equal(EndpointHealth.Unchecked, s.Health));
    }

    [Fact]
    public async Task SuccessRate_FewerQualifyingEndpointsThanTheMinimum_NoneEjected()
    {
        var (pool, time) = await CreateAsync(5, p =>
        {
            p.SuccessRateStdevFactor = 1;
            p.SuccessRateMinimumRequests = 10;
            p.SuccessRateMinimumHosts = 4;
        });
        using var _1 = pool;
        // Three endpoints reach 10 requests (one of them failing half), two do not: 3 < 4 qualifying hosts.
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.Success, 5);
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.Success, 10);
        CompleteOn(pool, pool.Endpoints[2], RequestOutcome.Success, 10);
        CompleteOn(pool, pool.Endpoints[3], RequestOutcome.Success, 9);

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.All(pool.Endpoints, s => Assert.Equal(EndpointHealth.Unchecked, s.Health));
    }

    [Fact]
    public async Task SuccessRate_UnequalVolumes_JudgedByTheShareThatSucceeded()
    {
        // 70 % of 200 requests against 100 % of 100 elsewhere: the busier endpoint is the outlier, by its share.
        var (pool, time) = await CreateAsync(5, p =>
        {
            p.SuccessRateStdevFactor = 1;
            p.SuccessRateMinimumRequests = 10;
            p.SuccessRateMinimumHosts = 1;
        });
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 60);
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.Success, 140);
        foreach (var state in pool.Endpoints.Skip(1))
        {
            CompleteOn(pool, state, RequestOutcome.Success, 100);
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(EndpointHealth.Unhealthy, pool.Endpoints[0].Health);
        Assert.All(pool.Endpoints.Skip(1), s => Assert.Equal(EndpointHealth.Unchecked, s.Health));
    }

    private static int Picks(ServicePool pool)
    {
        var lease = pool.Acquire();
        lease.Complete(RequestOutcome.Success);
        return Balancing.Picks.IndexOf(pool, lease);
    }
}
