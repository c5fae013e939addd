using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>Passive health checks (outlier detection) fed by lease outcomes, with a manual clock and no HTTP.</summary>
public sealed class OutlierDetectionTests
{
    private static async Task<(ServicePool Pool, FakeTimeProvider Time)> CreateAsync(int endpoints, Action<OutlierDetectionOptions> configure,
        string strategy = LoadBalancingStrategies.FirstAvailable)
    {
        var time = TestClock.Create();
        var setup = Setup(time, strategy, Enumerable.Range(0, endpoints).Select(Fake).ToArray());
        setup.Options.HealthChecks.Passive.ConsecutiveServerErrors = 0;
        setup.Options.HealthChecks.Passive.ConsecutiveGatewayErrors = 0;
        setup.Options.HealthChecks.Passive.ConsecutiveLocalFailures = 0;
        setup.Options.HealthChecks.Passive.FailureRateThreshold = 0;
        setup.Options.HealthChecks.Passive.SuccessRateStdevFactor = 0;
        setup.Options.HealthChecks.Passive.SplitLocalFailures = true;
        configure(setup.Options.HealthChecks.Passive);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync(); // starts housekeeping at the current time
        return (pool, time);
    }

    [Fact]
    public async Task Complete_ConsecutiveServerErrorsReachThreshold_Ejected()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 3);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.ServerError, 2);
        CompleteOn(pool, state, RequestOutcome.Success); // a success resets the streak
        CompleteOn(pool, state, RequestOutcome.ServerError, 2);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        CompleteOn(pool, state, RequestOutcome.ServerError);

        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveServerErrors), (state.Health, state.HealthReason));
        Assert.Equal(1, Status(pool, 0).Ejections);
        Assert.Equal(pool.Endpoints[1].Endpoint, Complete(pool, RequestOutcome.Success)); // no traffic while ejected
    }

    [Fact]
    public async Task Complete_GatewayErrorsCountAsServerErrors_EjectedByServerErrorRule()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 3);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.GatewayError);
        CompleteOn(pool, state, RequestOutcome.ServerError);
        CompleteOn(pool, state, RequestOutcome.GatewayError);

        Assert.Equal(EndpointHealthReason.EjectedConsecutiveServerErrors, state.HealthReason);
    }

    [Fact]
    public async Task Complete_ConsecutiveGatewayErrorsReachThreshold_Ejected()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveGatewayErrors = 3);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.GatewayError, 2);
        CompleteOn(pool, state, RequestOutcome.ServerError); // a 500 ends a streak of gateway errors
        CompleteOn(pool, state, RequestOutcome.GatewayError, 2);
        CompleteOn(pool, state, RequestOutcome.Success);
        CompleteOn(pool, state, RequestOutcome.GatewayError, 2);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        CompleteOn(pool, state, RequestOutcome.GatewayError);

        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveGatewayErrors), (state.Health, state.HealthReason));
    }

    [Fact]
    public async Task Complete_ConsecutiveLocalFailuresReachThreshold_Ejected()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveLocalFailures = 3);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
        CompleteOn(pool, state, RequestOutcome.Timeout);
        CompleteOn(pool, state, RequestOutcome.Success);
        CompleteOn(pool, state, RequestOutcome.Timeout);
        CompleteOn(pool, state, RequestOutcome.ServerError); // a response: the endpoint is reachable
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure, 2);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        CompleteOn(pool, state, RequestOutcome.Timeout);

        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveLocalFailures), (state.Health, state.HealthReason));
    }

    [Fact]
    public async Task Complete_RuleDisabledWithZero_NeverEjects()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveServerErrors = 2);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.ConnectionFailure, 50);

        Assert.Equal(EndpointHealth.Unchecked, state.Health);
        Assert.Equal(50, state.FailedRequests);
    }

    [Fact]
    public async Task Complete_Canceled_IsNotAFailure()
    {
        var (pool, _) = await CreateAsync(3, p => p.ConsecutiveLocalFailures = 2);
        using var _1 = pool;
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.Canceled, 20);
        Assert.Equal((0L, 0L, EndpointHealth.Unchecked), (state.TotalRequests, state.FailedRequests, state.Health));
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
        CompleteOn(pool, state, RequestOutcome.Canceled, 5); // neither a failure nor a success: the streak goes on
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);

        Assert.Equal(EndpointHealth.Unhealthy, state.Health);
        Assert.Equal((2L, 2L), (state.TotalRequests, state.FailedRequests));
    }

    [Fact]
    public async Task Ejection_Repeated_LengthIsBaseTimesCountCappedAtMax()
    {
        var (pool, time) = await CreateAsync(3, p =>
        {
            p.ConsecutiveLocalFailures = 1;
            p.Interval = TimeSpan.FromSeconds(10);
            p.BaseEjectionTime = TimeSpan.FromSeconds(10);
            p.MaxEjectionTime = TimeSpan.FromSeconds(25);
        });
        using var _1 = pool;
        var state = pool.Endpoints[0];

        foreach (var expected in new[] { 10, 20, 25, 25 })
        {
            var start = time.GetUtcNow();
            CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
            Assert.Equal(start + TimeSpan.FromSeconds(expected), Status(pool, 0).EjectedUntil);

            time.Advance(TimeSpan.FromSeconds(expected - 1));
            Assert.Equal(EndpointHealth.Unhealthy, state.Health);
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal((EndpointHealth.Unchecked, EndpointHealthReason.HealthChecksDisabled), (state.Health, state.HealthReason));
            Assert.Null(Status(pool, 0).EjectedUntil);
        }

        Assert.Equal(4, Status(pool, 0).Ejections);
    }

    [Fact]
    public async Task Ejection_QuietIntervals_MultiplierDecaysByOneEach()
    {
        var (pool, time) = await CreateAsync(3, p =>
        {
            p.ConsecutiveLocalFailures = 1;
            p.Interval = TimeSpan.FromSeconds(10);
            p.BaseEjectionTime = TimeSpan.FromSeconds(10);
            p.MaxEjectionTime = TimeSpan.FromSeconds(300);
        });
        using var _1 = pool;
        var state = pool.Endpoints[0];
        foreach (var length in new[] { 10, 20, 30 })
        {
            CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
            time.AdvanceInSteps(TimeSpan.FromSeconds(length));
        }

        Assert.Equal(3, state.EjectionMultiplier);
        time.AdvanceInSteps(TimeSpan.FromSeconds(20)); // two quiet intervals
        Assert.Equal(1, state.EjectionMultiplier);
        var start = time.GetUtcNow();
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);

        Assert.Equal(start + TimeSpan.FromSeconds(20), Status(pool, 0).EjectedUntil); // the second step again
    }

    [Fact]
    public async Task Ejection_LongQuietPeriod_MultiplierBackToZero()
    {
        var (pool, time) = await CreateAsync(3, p => (p.ConsecutiveLocalFailures, p.BaseEjectionTime) = (1, TimeSpan.FromSeconds(10)));
        using var _1 = pool;
        var state = pool.Endpoints[0];
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
        time.AdvanceInSteps(TimeSpan.FromSeconds(10));
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);
        time.AdvanceInSteps(TimeSpan.FromSeconds(20));

        time.AdvanceInSteps(TimeSpan.FromMinutes(5));
        var start = time.GetUtcNow();
        CompleteOn(pool, state, RequestOutcome.ConnectionFailure);

        Assert.Equal(start + TimeSpan.FromSeconds(10), Status(pool, 0).EjectedUntil);
        Assert.Equal(3, Status(pool, 0).Ejections);
    }

    [Fact]
    public async Task Ejection_MaxEjectionPercentReached_NoFurtherEjection()
    {
        var (pool, _) = await CreateAsync(10, p => (p.ConsecutiveLocalFailures, p.MaxEjectionPercent) = (2, 20));
        using var _1 = pool;

        for (var i = 0; i < 3; i++)
        {
            CompleteOn(pool, pool.Endpoints[i], RequestOutcome.ConnectionFailure, 2);
        }

        Assert.Equal(
            [EndpointHealth.Unhealthy, EndpointHealth.Unhealthy, EndpointHealth.Unchecked],
            pool.Endpoints.Take(3).Select(s => s.Health));
        Assert.Equal(2, pool.GetStatus().Endpoints.Count(e => e.EjectedUntil is not null));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(0)]
    public async Task Ejection_PercentAllowsNone_StillEjectsOne(int percent)
    {
        var (pool, _) = await CreateAsync(3, p => (p.ConsecutiveLocalFailures, p.MaxEjectionPercent) = (1, percent));
        using var _1 = pool;

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ConnectionFailure);
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ConnectionFailure);

        Assert.Equal(EndpointHealth.Unhealthy, pool.Endpoints[0].Health);
        Assert.Equal(EndpointHealth.Unchecked, pool.Endpoints[1].Health);
    }

    [Fact]
    public async Task Ejection_EndsAfterItsTime_TrafficReturns()
    {
        var (pool, time) = await CreateAsync(2, p => (p.ConsecutiveServerErrors, p.BaseEjectionTime) = (1, TimeSpan.FromSeconds(30)));
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError);
        Assert.Equal(pool.Endpoints[1].Endpoint, Complete(pool, RequestOutcome.Success));

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(pool.Endpoints[0].Endpoint, Complete(pool, RequestOutcome.Success));
    }

    [Fact]
    public async Task FailureRate_AboveThresholdWithVolume_EjectedAtTheEvaluation()
    {
        var (pool, time) = await CreateAsync(4, p =>
        {
            p.FailureRateThreshold = 0.5;
            p.FailureRateMinimumRequests = 10;
            p.FailureRateMinimumHosts = 0;
            p.Interval = TimeSpan.FromSeconds(10);
            p.MaxEjectionPercent = 100;
        });
        using var _1 = pool;
        var (rate50, lowVolume, rate40, spread) = (pool.Endpoints[0], pool.Endpoints[1], pool.Endpoints[2], pool.Endpoints[3]);
        for (var i = 0; i < 5; i++)
        {
            CompleteOn(pool, rate50, RequestOutcome.ServerError);
            CompleteOn(pool, rate50, RequestOutcome.Success);
        }

        CompleteOn(pool, lowVolume, RequestOutcome.ConnectionFailure, 9);
        for (var i = 0; i < 10; i++)
        {
            CompleteOn(pool, rate40, i < 4 ? RequestOutcome.GatewayError : RequestOutcome.Success);
        }

        CompleteOn(pool, spread, RequestOutcome.Timeout, 9);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(EndpointHealth.Unchecked, rate50.Health); // judged only at the end of the interval
        time.Advance(TimeSpan.FromSeconds(1));
        CompleteOn(pool, spread, RequestOutcome.Timeout, 9); // 18 failures, but 9 in each window
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedFailureRate), (rate50.Health, rate50.HealthReason));
        Assert.Equal(EndpointHealth.Unchecked, lowVolume.Health);
        Assert.Equal(EndpointHealth.Unchecked, rate40.Health);
        Assert.Equal(EndpointHealth.Unchecked, spread.Health);
    }

    [Fact]
    public async Task Passive_Disabled_NeverEjects()
    {
        var (pool, time) = await CreateAsync(3, p =>
        {
            p.Enabled = false;
            p.ConsecutiveLocalFailures = 1;
            p.FailureRateThreshold = 0.1;
            p.FailureRateMinimumRequests = 1;
        });
        using var _1 = pool;

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ConnectionFailure, 20);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(EndpointHealth.Unchecked, pool.Endpoints[0].Health);
    }

    [Fact]
    public async Task Ejection_ActiveProbePasses_EndsTheEjectionEarly()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        setup.Options.HealthChecks.Passive.Enabled = true;
        setup.Options.HealthChecks.Passive.BaseEjectionTime = TimeSpan.FromMinutes(5);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];
        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.Health == EndpointHealth.Healthy, "healthy");

        CompleteOn(pool, state, RequestOutcome.ConnectionFailure, 5);
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveLocalFailures), (state.Health, state.HealthReason));
        time.Advance(TimeSpan.FromSeconds(10));

        WaitFor(() => state.Health == EndpointHealth.Healthy, "un-ejected by the passing probe");
        Assert.Null(Status(pool, 0).EjectedUntil);
        Assert.Equal(1, Status(pool, 0).Ejections);
    }
}
