using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Loadstone.Tests.Endpoints;
using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Health;

/// <summary>
/// Episodes of fail-open, of the pool and of zones, as logs and metrics show them: each zone named (an endpoint without a
/// zone as "(none)"), zones judged only when zones are routed per zone, and every new episode of the pool counted.
/// Outlier ejections on a manual clock decide health; no HTTP.
/// </summary>
public sealed class FailOpenEpisodeTests
{
    private static readonly TimeSpan BaseEjection = TimeSpan.FromSeconds(30);

    private static async Task<(ServicePool Pool, FakeTimeProvider Time, FakeLogCollector Logs)> CreateAsync(
        string service, ZoneRoutingMode mode, params string?[] zones)
    {
        var time = TestClock.Create();
        var logs = new FakeLogCollector();
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
        for (var i = 0; i < zones.Length; i++)
        {
            options.Endpoints.Add(Fake(i), zone: zones[i]);
        }

        options.Zones.Mode = mode;
        options.HealthChecks.FailOpen.MinimumHealthyPercent = 50;
        var passive = options.HealthChecks.Passive;
        passive.ConsecutiveServerErrors = 1;
        passive.MaxEjectionPercent = 100;
        passive.BaseEjectionTime = BaseEjection;
        var pool = new ServicePool(service, options, new ServicePoolDependencies { TimeProvider = time, LoggerFactory = logs.CreateFactory(), Random = new Random(1) });
        await pool.InitializeAsync();
        return (pool, time, logs);
    }

    private static void Eject(ServicePool pool, params int[] indexes)
    {
        foreach (var index in indexes)
        {
            CompleteOn(pool, pool.Endpoints[index], RequestOutcome.ServerError);
        }
    }

    [Fact]
    public async Task PerZone_TwoZonesBreachTogether_EachLoggedCountedAndEndedByName()
    {
        const string Service = "zone-episodes";
        using var metrics = new LoadstoneMetricCollector(Service);
        // Zone a and the zone-less endpoints: 4 each; zone c: 8. Three ejected in a and three zone-less: each has 1 of 4
        // healthy (below 50 %), the pool 10 of 16 (not).
        var (pool, time, logs) = await CreateAsync(Service, ZoneRoutingMode.PerZone,
            "a", "a", "a", "a", null, null, null, null, "c", "c", "c", "c", "c", "c", "c", "c");
        using var _1 = pool;

        Eject(pool, 0, 1, 2, 4, 5, 6);

        Assert.False(pool.IsFailingOpen);
        Assert.Equal(2, logs.CountOf("ZoneFailOpenStarted"));
        Assert.Contains(logs.Entries, e => e.Id.Name == "ZoneFailOpenStarted" && e.Message.Contains("zone a ", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Id.Name == "ZoneFailOpenStarted" && e.Message.Contains("zone (none) ", StringComparison.Ordinal));
        var episodes = metrics.Of("loadstone.pool.fail_open.episodes");
        Assert.Equal(["", "a"], episodes.Select(r => r.Tag(LoadstoneMetrics.ZoneTag)).Order());
        Assert.All(pool.GetStatus().Endpoints.Take(8).Where(e => e.Health == EndpointHealth.Unhealthy),
            e => Assert.Equal(EndpointRoutingNote.ZoneFailingOpen, e.Note));

        time.Advance(BaseEjection); // the ejections end

        Assert.Equal(2, logs.CountOf("ZoneFailOpenEnded"));
        Assert.Contains(logs.Entries, e => e.Id.Name == "ZoneFailOpenEnded" && e.Message.Contains("zone (none) ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ZoneRoutingMode.CrossZone)]
    [InlineData(ZoneRoutingMode.PerZone)]
    public async Task FailOpenOff_OrZonesNotPerZone_NoZoneFailsOpen(ZoneRoutingMode mode)
    {
        var (pool, _, logs) = await CreateAsync($"zone-off-{mode}", mode, "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c");
        using var _1 = pool;
        if (mode == ZoneRoutingMode.PerZone)
        {
            var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
            for (var i = 0; i < 12; i++)
            {
                options.Endpoints.Add(Fake(i), zone: i < 4 ? "a" : "c");
            }

            options.Zones.Mode = mode;
            options.HealthChecks.FailOpen.Enabled = false;
            options.HealthChecks.Passive.ConsecutiveServerErrors = 1;
            options.HealthChecks.Passive.MaxEjectionPercent = 100;
            Assert.True(pool.TryApplyOptions(options));
        }

        Eject(pool, 0, 1, 2);

        Assert.Equal(0, logs.CountOf("ZoneFailOpenStarted"));
        Assert.All(pool.GetStatus().Endpoints.Take(3), e => Assert.NotEqual(EndpointRoutingNote.ZoneFailingOpen, e.Note));
    }

    [Fact]
    public async Task Pool_TwoEpisodes_EachLoggedAndCounted()
    {
        const string Service = "pool-episodes";
        using var metrics = new LoadstoneMetricCollector(Service);
        var (pool, time, logs) = await CreateAsync(Service, ZoneRoutingMode.CrossZone, null, null);
        using var _1 = pool;

        Eject(pool, 0, 1);
        Assert.True(pool.IsFailingOpen);
        time.Advance(BaseEjection);
        Assert.False(pool.IsFailingOpen);
        Eject(pool, 0, 1);
        Assert.True(pool.IsFailingOpen);

        Assert.Equal((2, 1), (logs.CountOf("FailOpenStarted"), logs.CountOf("FailOpenEnded")));
        Assert.Equal(2, metrics.Of("loadstone.pool.fail_open.episodes").Count(r => r.Tag(LoadstoneMetrics.ZoneTag) is null));
    }
}
