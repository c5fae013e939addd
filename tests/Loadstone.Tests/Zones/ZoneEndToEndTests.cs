using System.Diagnostics.Metrics;
using Loadstone.Tests.Affinity;
using Loadstone.Tests.Http;
using Loadstone.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Zones;

/// <summary>Ten real backends shared by the zone tests (tests within a class run one at a time).</summary>
public sealed class TenBackendsFixture : IAsyncLifetime
{
    public BackendSet Backends { get; private set; } = null!;

    public async Task InitializeAsync() => Backends = await BackendSet.StartAsync(10, "z");

    public async Task DisposeAsync() => await Backends.DisposeAsync();
}

/// <summary>
/// Zone modes as an application configures them: endpoints tagged with zones under
/// <c>LoadBalancing:Services:{service}:Endpoints</c>, the mode under <c>...:Zones</c>, a client from dependency
/// injection, real Kestrel backends. Shares are measured over 2,000 sequential requests with a seeded random source
/// and held to 4 binomial standard deviations (the seed makes a run repeat exactly; the band keeps the test about
/// the semantics, not about one random sequence).
/// </summary>
public sealed class ZoneEndToEndTests : IClassFixture<TenBackendsFixture>
{
    private const int Requests = 2000;
    private const double Sigmas = 4;
    private static readonly string[] s_twoAndEight = ["a", "a", "b", "b", "b", "b", "b", "b", "b", "b"];

    private readonly BackendSet _backends;

    public ZoneEndToEndTests(TenBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Theory]
    [InlineData("PerZone", 0.25, 0.0625)]
    [InlineData("CrossZone", 0.10, 0.10)]
    public async Task Configuration_TwoAndEightBackends_ReproduceTheWorkedShares(string mode, double eachA, double eachB)
    {
        var service = $"zones-{mode.ToLowerInvariant()}-e2e";
        var data = Configuration(service, s_twoAndEight);
        data[$"LoadBalancing:Services:{service}:Zones:Mode"] = mode;
        data[$"LoadBalancing:Services:{service}:Zones:LocalZone"] = "a";
        await using var provider = EndToEndKit.Build(data, s => s.AddSeededLoadBalancedHttpClient(service, seed: 21));
        using var metrics = new LoadstoneMetricCollector(service, provider.GetRequiredService<IMeterFactory>());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(service);

        var shares = await MeasureAsync(client, Requests);

        for (var i = 0; i < shares.Length; i++)
        {
            EndToEndKit.AssertShare(s_twoAndEight[i] == "a" ? eachA : eachB, shares[i], Requests, Sigmas, $"{mode}, backend {i} (zone {s_twoAndEight[i]})");
        }

        EndToEndKit.AssertShare(2 * eachA, shares[0] + shares[1], Requests, Sigmas, $"{mode}, zone a");

        // Zone preference counts its picks by zone kind; cross-zone pools skip the zone step and count nothing.
        var local = metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "local"));
        var remote = metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "remote"));
        if (mode == "CrossZone")
        {
            Assert.Equal(0, local + remote);
        }
        else
        {
            Assert.Equal(Requests, local + remote);
            Assert.Equal(Math.Round((shares[0] + shares[1]) * Requests), local);
        }
    }

    [Fact]
    public async Task Configuration_FullAffinity_AllLocalWhileHealthyThenSpillsAtOnceAndReturns()
    {
        const string Service = "zones-affinity-e2e";
        var data = Configuration(Service, s_twoAndEight);
        var prefix = $"LoadBalancing:Services:{Service}";
        data[$"{prefix}:Zones:Mode"] = "Affinity";
        data[$"{prefix}:Zones:LocalZone"] = "a";
        data[$"{prefix}:Retries:Enabled"] = "false";
        data[$"{prefix}:HealthChecks:Passive:ConsecutiveGatewayErrors"] = "1";
        data[$"{prefix}:HealthChecks:Passive:MaxEjectionPercent"] = "50";
        var time = TestClock.Create();
        await using var provider = EndToEndKit.Build(data, s => s.AddSingleton<TimeProvider>(time).AddSeededLoadBalancedHttpClient(Service, seed: 8));
        using var metrics = new LoadstoneMetricCollector(Service, provider.GetRequiredService<IMeterFactory>());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var healthy = await MeasureAsync(client, 400);
        Assert.Equal(1.0, healthy[0] + healthy[1], 12);
        Assert.True(healthy[0] > 0.4 && healthy[1] > 0.4, "both local backends take traffic");
        Assert.Equal(400, metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "local")));

        // Zone a fails: each of its backends is ejected by its first 503 (two requests in all).
        _backends[0].StatusCode = 503;
        _backends[1].StatusCode = 503;
        var failures = 0;
        for (var n = 0; n < 10 && !ZoneEjected(provider, Service); n++)
        {
            using var response = await client.GetAsync("/items");
            failures += (int)response.StatusCode == 503 ? 1 : 0;
            await provider.GetRequiredService<ServicePoolRegistry>().GetPool(Service).SettleAsync();
        }

        Assert.True(ZoneEjected(provider, Service), "both zone-a backends are ejected");
        Assert.Equal(2, failures);

        // The very next requests spill to zone b, spread over all of its backends.
        var spilled = await MeasureAsync(client, 400);
        Assert.Equal(0, spilled[0] + spilled[1]);
        Assert.All(spilled.Skip(2), share => Assert.InRange(share, 0.05, 0.2));
        Assert.Equal(400, metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "remote")));

        // The backends recover and their ejection (30 s) ends: traffic returns to zone a.
        _backends[0].StatusCode = 200;
        _backends[1].StatusCode = 200;
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(ZoneEjected(provider, Service));
        var back = await MeasureAsync(client, 200);
        Assert.Equal(1.0, back[0] + back[1], 12);
    }

    [Fact]
    public async Task Configuration_ZoneAwareEnvoyResidualExample_SpillsByResidualCapacity()
    {
        // Callers a 50 %, b 25 %, c 25 %; upstreams a 1, b 4, c 5. From a: 20 % local, b 30 % (7.5 % each), c 50 % (10 % each).
        const string Service = "zones-aware-e2e";
        string[] zones = ["a", "b", "b", "b", "b", "c", "c", "c", "c", "c"];
        var data = Configuration(Service, zones);
        var prefix = $"LoadBalancing:Services:{Service}:Zones";
        data[$"{prefix}:Mode"] = "ZoneAware";
        data[$"{prefix}:LocalZone"] = "a";
        data[$"{prefix}:CallerShares:a"] = "2";
        data[$"{prefix}:CallerShares:b"] = "1";
        data[$"{prefix}:CallerShares:c"] = "1";
        await using var provider = EndToEndKit.Build(data, s => s.AddSeededLoadBalancedHttpClient(Service, seed: 5));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var shares = await MeasureAsync(client, Requests);

        double[] expected = [0.2, 0.075, 0.075, 0.075, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1];
        for (var i = 0; i < shares.Length; i++)
        {
            EndToEndKit.AssertShare(expected[i], shares[i], Requests, Sigmas, $"backend {i} (zone {zones[i]})");
        }

        EndToEndKit.AssertShare(0.3, shares[1..5].Sum(), Requests, Sigmas, "zone b");
        EndToEndKit.AssertShare(0.5, shares[5..].Sum(), Requests, Sigmas, "zone c");
    }

    private static bool ZoneEjected(ServiceProvider provider, string service) =>
        provider.GetRequiredService<ServicePoolRegistry>().GetPool(service).GetStatus().Endpoints
            .Where(e => e.Endpoint.Zone == "a")
            .All(e => e.Health == EndpointHealth.Unhealthy);

    private async Task<double[]> MeasureAsync(HttpClient client, int requests)
    {
        var before = _backends.Counts;
        await IntegrationTests.SendSequentialAsync(client, requests);
        return EndToEndKit.Shares(_backends, before, requests);
    }

    private Dictionary<string, string?> Configuration(string service, string[] zones)
    {
        var prefix = $"LoadBalancing:Services:{service}";
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [$"{prefix}:Strategy"] = LoadBalancingStrategies.Random,
        };
        for (var i = 0; i < zones.Length; i++)
        {
            data[$"{prefix}:Endpoints:{i}:Address"] = _backends[i].Address.ToString();
            data[$"{prefix}:Endpoints:{i}:Zone"] = zones[i];
        }

        return data;
    }
}
