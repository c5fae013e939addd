using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Health;

/// <summary>
/// The outlier detector's bookkeeping around an ejection: one ejection per streak however the control plane is
/// delayed, streaks and recent failures forgotten when an ejection starts and when it ends, and a rule set to 0 off.
/// </summary>
public sealed class EjectionBookkeepingTests
{
    private static readonly TimeSpan BaseEjection = TimeSpan.FromSeconds(30);

    private static async Task<(ServicePool Pool, ManualTimeProvider Time)> CreateAsync(int endpoints, Action<OutlierDetectionOptions> configure)
    {
        var time = new ManualTimeProvider();
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
}
