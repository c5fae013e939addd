using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Loadstone.Tests.Endpoints;
using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Health;

/// <summary>
/// Every decision of outlier detection, as metrics and logs report it: ejected, ejected beyond the cap (an endpoint
/// refusing connections), refused by the cap, refused by the fail-open thresholds, not enforced; and how often an
/// outlier is ejected under <see cref="OutlierDetectionOptions.EnforcingPercent"/>.
/// </summary>
public sealed class OutlierDecisionTests
{
    private static (ServicePool Pool, FakeTimeProvider Time, FakeLogCollector Logs) Create(string service, int endpoints, Action<LoadBalancingOptions> configure)
    {
        var time = TestClock.Create();
        var logs = new FakeLogCollector();
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
        for (var i = 0; i < endpoints; i++)
        {
            options.Endpoints.Add(Fake(i));
        }

        options.HealthChecks.Passive.ConsecutiveServerErrors = 1;
        options.HealthChecks.Passive.ConsecutiveGatewayErrors = 1;
        configure(options);
        var pool = new ServicePool(service, options, new ServicePoolDependencies { TimeProvider = time, LoggerFactory = logs.CreateFactory(), Random = new Random(5) });
        return (pool, time, logs);
    }

    private static string? Action(LoadstoneMetricCollector metrics, int index) =>
        metrics.Of("loadstone.endpoint.outliers").ElementAtOrDefault(index)?.Tag(LoadstoneMetrics.OutlierActionTag);

    [Fact]
    public async Task Decisions_CapAndFailOpenThresholds_EachCountedWithItsActionAndLogged()
    {
        const string Service = "outlier-decisions";
        using var metrics = new LoadstoneMetricCollector(Service);
        var (pool, _, logs) = Create(Service, 4, o =>
        {
            o.HealthChecks.Passive.MaxEjectionPercent = 25; // one of four
            o.HealthChecks.FailOpen.MinimumHealthyPercent = 50;
        });
        using var _1 = pool;
        await pool.InitializeAsync();
        var e = pool.Endpoints;

        CompleteOn(pool, e[0], RequestOutcome.ServerError); // ejected: the one the cap allows
        CompleteOn(pool, e[1], RequestOutcome.ServerError); // refused: the cap is reached
        CompleteOn(pool, e[2], RequestOutcome.Unreachable); // refuses connections: ejected beyond the cap, 2 of 4 stay healthy
        CompleteOn(pool, e[3], RequestOutcome.Unreachable); // would leave 1 of 4 healthy, below 50 %: refused

        Assert.Equal(
            ["ejected", "refused_max_ejection_percent", "ejected_beyond_max_ejection_percent", "refused_fail_open_threshold"],
            Enumerable.Range(0, 4).Select(i => Action(metrics, i)));
        Assert.Equal([EndpointHealth.Unhealthy, EndpointHealth.Unchecked, EndpointHealth.Unhealthy, EndpointHealth.Unchecked], e.Select(s => s.Health));
        Assert.Equal((2, 1, 1), (logs.CountOf("EndpointEjected"), logs.CountOf("EjectionSkipped"), logs.CountOf("EjectionSkippedFailOpen")));
        Assert.Equal(
            [EndpointRoutingNote.None, EndpointRoutingNote.EjectionRefusedMaxEjectionPercent, EndpointRoutingNote.EjectedBeyondMaxEjectionPercent, EndpointRoutingNote.EjectionRefusedFailOpenThreshold],
            e.Select(s => s.OutlierNote));
    }

    [Fact]
    public async Task Decision_LastHealthyRefusesConnectionsWithNoThresholds_NotEjected()
    {
        // Fail-open thresholds of 0 are never breached, yet ejecting the last healthy endpoint beyond the cap would
        // leave none: refused.
        var (pool, _, _) = Create("outlier-last-healthy", 2, o =>
        {
            o.HealthChecks.Passive.MaxEjectionPercent = 50;
            o.HealthChecks.FailOpen.MinimumHealthyCount = 0;
            o.HealthChecks.FailOpen.MinimumHealthyPercent = 0;
        });
        using var _1 = pool;
        await pool.InitializeAsync();

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.Unreachable);
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.Unreachable);

        Assert.Equal([EndpointHealth.Unhealthy, EndpointHealth.Unchecked], pool.Endpoints.Select(s => s.Health));
        Assert.Equal(EndpointRoutingNote.EjectionRefusedFailOpenThreshold, pool.Endpoints[1].OutlierNote);
    }

    [Fact]
    public async Task Decision_EnforcingPercentZero_CountedAsNotEnforcedAndLogged()
    {
        const string Service = "outlier-not-enforced";
        using var metrics = new LoadstoneMetricCollector(Service);
        var (pool, _, logs) = Create(Service, 3, o => o.HealthChecks.Passive.EnforcingPercent = 0);
        using var _1 = pool;
        await pool.InitializeAsync();

        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError);

        Assert.Equal("not_enforced", Action(metrics, 0));
        Assert.Equal(1, logs.CountOf("OutlierNotEnforced"));
        Assert.Equal(EndpointHealth.Unchecked, pool.Endpoints[0].Health);
    }

    [Fact]
    public async Task Decisions_EnforcingPercent30_AboutThreeInTenEjected()
    {
        var (pool, _, _) = Create("outlier-enforcing", 200, o =>
        {
            o.HealthChecks.Passive.EnforcingPercent = 30;
            o.HealthChecks.Passive.MaxEjectionPercent = 100;
        });
        using var _1 = pool;
        await pool.InitializeAsync();

        foreach (var state in pool.Endpoints.ToList())
        {
            new EndpointLease(state, pool.TimeProvider).Complete(RequestOutcome.ServerError);
        }

        await pool.SettleAsync();

        // 200 outliers, each ejected with probability 0.3: 60 expected, σ ≈ 6.5.
        Assert.InRange(pool.Endpoints.Count(s => s.Health == EndpointHealth.Unhealthy), 35, 85);
    }
}
