using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>
/// Envoy's outlier-detection behaviour, replayed through the public API on the pool's manual clock with Envoy's expected
/// timings (interval 10 s, base ejection 30 s, max 300 s unless said otherwise), for every point where the docs claim
/// Envoy's semantics: refused ejections retried on the next streak, the local-origin split and its default, the capped
/// multiplier, minimum hosts of the rate rules, enforcement, the success-rate rule; and Loadstone's one deliberate
/// extension, endpoints that refuse connections ejected beyond the cap within the fail-open thresholds.
/// </summary>
public sealed class EnvoyParityTests
{
    private static async Task<(ServicePool Pool, FakeTimeProvider Time)> CreateAsync(string service, int endpoints, Action<OutlierDetectionOptions>? configure = null)
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, endpoints).Select(Fake).ToArray());
        configure?.Invoke(setup.Options.HealthChecks.Passive);
        var pool = setup.Create(service);
        await pool.InitializeAsync(); // the interval ticks start now: t = 0
        return (pool, time);
    }

    private static bool Ejected(ServicePool pool, int index) => Status(pool, index).EjectedUntil is not null;

    [Fact]
    public async Task RefusedEjection_RetriedAfterTheNextStreak_OnceTheCapFreesUp()
    {
        var (pool, time) = await CreateAsync("envoy-retry-refused", 3); // 10 % of 3: one ejection at a time
        using var _ = pool;
        var (first, second) = (pool.Endpoints[0], pool.Endpoints[1]);

        CompleteOn(pool, first, RequestOutcome.ServerError, 5);
        CompleteOn(pool, second, RequestOutcome.ServerError, 5);
        Assert.Equal((true, false), (Ejected(pool, 0), Ejected(pool, 1)));
        Assert.Equal(EndpointRoutingNote.EjectionRefusedMaxEjectionPercent, Status(pool, 1).Note);

        CompleteOn(pool, second, RequestOutcome.ServerError, 5); // the next streak tries again: still capped
        Assert.False(Ejected(pool, 1));
        time.Advance(TimeSpan.FromSeconds(30)); // the first host returns at t = 30 (an interval tick in Envoy too)
        Assert.False(Ejected(pool, 0));
        CompleteOn(pool, second, RequestOutcome.ServerError, 4);
        Assert.False(Ejected(pool, 1));
        CompleteOn(pool, second, RequestOutcome.ServerError);

        // Envoy resets a streak after every ejection attempt, so the fifth failure after the cap freed up ejects.
        Assert.Equal((EndpointHealthReason.EjectedConsecutiveServerErrors, time.GetUtcNow().AddSeconds(30)),
            (Status(pool, 1).Reason, Status(pool, 1).EjectedUntil));
    }

    [Fact]
    public async Task SplitOff_TheDefault_RefusalsAndServerErrorsMakeOneStreak()
    {
        var (pool, _) = await CreateAsync("envoy-split-off", 10);
        using var _1 = pool;
        var host = pool.Endpoints[0];

        for (var i = 0; i < 2; i++)
        {
            CompleteOn(pool, host, RequestOutcome.ConnectionFailure);
            CompleteOn(pool, host, RequestOutcome.ServerError);
        }

        Assert.False(Ejected(pool, 0));
        CompleteOn(pool, host, RequestOutcome.ConnectionFailure); // Envoy maps it to a 503: the fifth 5xx in a row

        Assert.Equal(EndpointHealthReason.EjectedConsecutiveServerErrors, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task SplitOn_RefusalsCountApart_ServerErrorsStreakAcrossThem()
    {
        // Envoy's split: a local failure counts only toward consecutive_local_origin_failure and leaves the 5xx streak alone.
        var (pool, _) = await CreateAsync("envoy-split-on", 10, p => p.SplitLocalFailures = true);
        using var _1 = pool;
        var host = pool.Endpoints[0];

        for (var i = 0; i < 4; i++)
        {
            CompleteOn(pool, host, RequestOutcome.ConnectionFailure);
            CompleteOn(pool, host, RequestOutcome.ServerError);
        }

        CompleteOn(pool, host, RequestOutcome.ConnectionFailure);
        Assert.False(Ejected(pool, 0)); // five refusals and four 500s, but no streak of five of either
        CompleteOn(pool, host, RequestOutcome.ServerError);

        Assert.Equal(EndpointHealthReason.EjectedConsecutiveServerErrors, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task SplitOn_LocalFailuresInARow_EjectedByTheirOwnRule()
    {
        var (pool, _) = await CreateAsync("envoy-split-local", 10, p => p.SplitLocalFailures = true);
        using var _1 = pool;

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 4);
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ConnectionFailure, 5);

        Assert.Equal(EndpointHealthReason.EjectedConsecutiveLocalFailures, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task SplitOff_TimeoutsOnly_EjectedAndReportedAsLocalFailures()
    {
        var (pool, _) = await CreateAsync("envoy-split-timeouts", 10);
        using var _1 = pool;

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.Timeout, 5); // Envoy: five 504s

        Assert.Equal(EndpointHealthReason.EjectedConsecutiveLocalFailures, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task Multiplier_CappedAtMaxOverBasePlusOne_SoQuietIntervalsShortenTheNextEjection()
    {
        var (pool, time) = await CreateAsync("envoy-multiplier", 3);
        using var _ = pool;
        var host = pool.Endpoints[0];
        var lengths = new List<double>();
        for (var i = 0; i < 12; i++)
        {
            var start = time.GetUtcNow();
            CompleteOn(pool, host, RequestOutcome.ServerError, 5);
            var length = (Status(pool, 0).EjectedUntil!.Value - start).TotalSeconds;
            lengths.Add(length);
            time.AdvanceInSteps(TimeSpan.FromSeconds(length)); // ends on an interval tick (all lengths are multiples of 10 s)
        }

        Assert.Equal([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300], lengths);
        Assert.Equal(11, host.EjectionMultiplier); // 300 ÷ 30 + 1: uncapped it would be 12

        time.AdvanceInSteps(TimeSpan.FromSeconds(30)); // three quiet interval ticks: 11 → 8
        var again = time.GetUtcNow();
        CompleteOn(pool, host, RequestOutcome.ServerError, 5);

        Assert.Equal(again.AddSeconds(270), Status(pool, 0).EjectedUntil); // 9 × 30 (uncapped: min(10 × 30, 300) = 300)
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public async Task FailureRate_NeedsFiveHostsWithVolume_AsEnvoy(int hosts, bool ejected)
    {
        var (pool, time) = await CreateAsync($"envoy-fp-{hosts}", hosts, p => (p.ConsecutiveServerErrors, p.ConsecutiveGatewayErrors) = (0, 0));
        using var _ = pool;
        for (var i = 0; i < hosts; i++)
        {
            CompleteOn(pool, pool.Endpoints[i], RequestOutcome.ServerError, i == 0 ? 45 : 0);
            CompleteOn(pool, pool.Endpoints[i], RequestOutcome.Success, i == 0 ? 5 : 50);
        }

        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(Ejected(pool, 0));
        time.Advance(TimeSpan.FromSeconds(0.1)); // the interval tick at t = 10

        Assert.Equal(ejected, Ejected(pool, 0));
        if (ejected)
        {
            Assert.Equal(EndpointHealthReason.EjectedFailureRate, Status(pool, 0).Reason);
        }
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public async Task SuccessRate_EnvoysWorkedExample_HostAt50PercentEjectedWithFiveHosts(int hosts, bool ejected)
    {
        // Envoy's example: success rates {50, 100, 100, 100, 100}: mean 90, σ 20, threshold 90 − 1.9 × 20 = 52.
        var (pool, time) = await CreateAsync($"envoy-sr-{hosts}", hosts, p =>
            (p.ConsecutiveServerErrors, p.ConsecutiveGatewayErrors, p.FailureRateThreshold) = (0, 0, 0));
        using var _ = pool;
        for (var i = 0; i < hosts; i++)
        {
            for (var k = 0; k < 100; k++)
            {
                CompleteOn(pool, pool.Endpoints[i], i == 0 && k % 2 == 0 ? RequestOutcome.ServerError : RequestOutcome.Success);
            }
        }

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(ejected, Ejected(pool, 0));
        Assert.All(Enumerable.Range(1, hosts - 1), i => Assert.False(Ejected(pool, i)));
        Assert.Equal(0.52, OutlierRateRules.Threshold([0.5, 1, 1, 1, 1], 1.9), 10);
    }

    [Fact]
    public async Task EnforcingZero_DetectedAndReportedButNotEjected()
    {
        var (pool, _) = await CreateAsync("envoy-enforcing", 3, p => p.EnforcingPercent = 0);
        using var _1 = pool;
        using var metrics = new LoadstoneMetricCollector("envoy-enforcing");

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);

        var status = Status(pool, 0);
        Assert.Equal((false, true, EndpointRoutingNote.OutlierNotEnforced), (status.EjectedUntil is not null, status.IsRoutable, status.Note));
        Assert.Equal(1, metrics.Sum("loadstone.endpoint.outliers", ("loadstone.outlier.action", "not_enforced")));
        Assert.Empty(metrics.Of("loadstone.endpoint.ejections"));
    }

    [Fact]
    public async Task EnforcingFifty_AboutHalfTheDetectionsEject()
    {
        var (pool, time) = await CreateAsync("envoy-enforcing-half", 3, p => (p.EnforcingPercent, p.BaseEjectionTime, p.MaxEjectionTime) = (50, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        using var _1 = pool;
        var ejections = 0;
        for (var i = 0; i < 40; i++)
        {
            CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);
            if (Ejected(pool, 0))
            {
                ejections++;
                time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        Assert.InRange(ejections, 10, 30); // seeded: the same every run
    }

    [Fact]
    public async Task Unreachable_EjectedBeyondTheCap_UntilTheFailOpenThresholdWouldBeBreached()
    {
        var (pool, _) = await CreateAsync("envoy-unreachable", 3);
        using var _1 = pool;

        foreach (var i in new[] { 0, 1, 2 })
        {
            CompleteOn(pool, pool.Endpoints[i], RequestOutcome.Unreachable, 5);
        }

        var status = pool.GetStatus().Endpoints;
        Assert.Equal([true, true, false], status.Select(s => s.EjectedUntil is not null));
        Assert.Equal([EndpointRoutingNote.None, EndpointRoutingNote.EjectedBeyondMaxEjectionPercent, EndpointRoutingNote.EjectionRefusedFailOpenThreshold],
            status.Select(s => s.Note));
        Assert.Equal([false, false, true], status.Select(s => s.IsRoutable));
        Assert.Equal(EndpointHealthReason.EjectedConsecutiveLocalFailures, status[1].Reason);
        Assert.False(pool.IsFailingOpen);
    }

    [Fact]
    public async Task ConnectionFailuresThatMayHaveReachedTheServer_StayWithinTheCap()
    {
        var (pool, _) = await CreateAsync("envoy-reset", 3);
        using var _1 = pool;

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.Unreachable, 5);
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ConnectionFailure, 5); // a reset: the server may be overloaded, not gone

        Assert.Equal((true, false), (Ejected(pool, 0), Ejected(pool, 1)));
        Assert.Equal(EndpointRoutingNote.EjectionRefusedMaxEjectionPercent, Status(pool, 1).Note);
    }

    [Fact]
    public async Task Ejection_EndsOnTime_NotAtTheNextIntervalTick()
    {
        // A deliberate difference: Envoy checks ejections on its interval timer (this one would return at t = 40).
        var (pool, time) = await CreateAsync("envoy-on-time", 3);
        using var _ = pool;
        time.Advance(TimeSpan.FromSeconds(5));
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(Ejected(pool, 0));
        time.Advance(TimeSpan.FromSeconds(1)); // t = 35

        Assert.False(Ejected(pool, 0));
    }
}
