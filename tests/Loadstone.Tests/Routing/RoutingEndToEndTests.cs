using System.Diagnostics.Metrics;
using Loadstone.Tests.Affinity;
using Loadstone.Tests.Http;
using Loadstone.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Routing;

/// <summary>Six real backends shared by the routing tests (tests within a class run one at a time).</summary>
public sealed class SixBackendsFixture : IAsyncLifetime
{
    public BackendSet Backends { get; private set; } = null!;

    public async Task InitializeAsync() => Backends = await BackendSet.StartAsync(6, "r");

    public async Task DisposeAsync() => await Backends.DisposeAsync();
}

/// <summary>
/// Routing rules read from an in-memory configuration and reloaded, through a client from dependency injection, to
/// real backends. The logical service <c>catalog</c> has its own backend (5) and rules that forward to the
/// configured services <c>catalog-v1</c> (backends 0, 1), <c>catalog-v2</c> (2), <c>catalog-beta</c> (3) and
/// <c>catalog-static</c> (4).
/// </summary>
public sealed class RoutingEndToEndTests : IClassFixture<SixBackendsFixture>
{
    private const string Canary = "/api/items";
    private readonly BackendSet _backends;

    public RoutingEndToEndTests(SixBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task Configuration_HeaderAndPathRules_RouteAsSpecified()
    {
        await using var provider = Build("catalog", Rules("catalog", v1: 90, v2: 10), seed: 1);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        Assert.Equal("r3", await EndToEndKit.GetAsync(client, "/items", ("X-Beta", "TRUE")));        // header value, any case
        Assert.Equal("r3", await EndToEndKit.GetAsync(client, "/img/a.png", ("x-beta", "yes")));    // priority 10 beats 20
        Assert.Equal("r5", await EndToEndKit.GetAsync(client, "/items", ("X-Beta", "no")));         // no rule: the default pool
        Assert.Equal("r4", await EndToEndKit.GetAsync(client, "/img/logo.png"));
        Assert.Equal("r4", await EndToEndKit.GetAsync(client, "/img/x/y.png?size=2"));
        Assert.Equal("r5", await EndToEndKit.GetAsync(client, "/img/a.PNG"));                       // paths are case-sensitive
        Assert.Equal("r5", await EndToEndKit.GetAsync(client, "/items?path=/img/a.png"));           // the query is not the path
        Assert.Equal("r5", await EndToEndKit.GetAsync(client, "/API/items"));

        // Forwarded requests keep their path and query.
        Assert.Equal("/img/x/y.png?size=2", _backends[4].Received.Last());
    }

    [Fact]
    public async Task Configuration_CanarySplitThenReloadedWeights_ShiftTrafficOnTheNextRequests()
    {
        const int Requests = 2000;
        var source = new ReloadableConfigurationSource(Rules("catalog", v1: 90, v2: 10));
        await using var provider = EndToEndKit.Build(source, new FakeLogCollector(), RegisterSeeded("catalog", seed: 7));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        var v2 = await CanaryShareAsync(client, Requests);
        EndToEndKit.AssertShare(0.10, v2, Requests, 4, "catalog-v2 at 90/10");
        Assert.Equal(0, _backends[5].RequestCount); // every /api request matched the canary rule

        source.Provider.Replace(Rules("catalog", v1: 50, v2: 50));
        v2 = await CanaryShareAsync(client, 1000);
        EndToEndKit.AssertShare(0.50, v2, 1000, 4, "catalog-v2 after the reload to 50/50");

        source.Provider.Replace(Rules("catalog", v1: 100, v2: 0));
        Assert.Equal(0, await CanaryShareAsync(client, 200));
    }

    [Fact]
    public async Task Configuration_GroupStickiness_KeyedClientStaysOnTheGroupItFirstGot()
    {
        var source = new ReloadableConfigurationSource(Rules("catalog", v1: 50, v2: 50, stickiness: "01:00:00"));
        await using var provider = EndToEndKit.Build(source, new FakeLogCollector(), RegisterSeeded("catalog", seed: 9));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var keys = EndToEndKit.Keys(40);

        var group = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            group[key] = Group(await EndToEndKit.GetAsync(client, Canary, ("X-User-Id", key)));
        }

        Assert.Contains("v1", group.Values);
        Assert.Contains("v2", group.Values);
        for (var round = 0; round < 4; round++)
        {
            foreach (var key in keys)
            {
                Assert.Equal(group[key], Group(await EndToEndKit.GetAsync(client, Canary, ("X-User-Id", key))));
            }
        }

        // A weight change that keeps the rule's name and stickiness keeps the bound clients where they are.
        source.Provider.Replace(Rules("catalog", v1: 90, v2: 10, stickiness: "01:00:00"));
        foreach (var key in keys)
        {
            Assert.Equal(group[key], Group(await EndToEndKit.GetAsync(client, Canary, ("X-User-Id", key))));
        }

        // Without a key the split is drawn afresh for each request: both groups are used.
        var unkeyed = new HashSet<string>();
        for (var n = 0; n < 100; n++)
        {
            unkeyed.Add(Group(await EndToEndKit.GetAsync(client, Canary)));
        }

        Assert.Equal(2, unkeyed.Count);
    }

    [Fact]
    public async Task RuleMatches_CountedPerRuleName_NotForTheDefaultRule()
    {
        const string Service = "routing-metrics-e2e";
        await using var provider = Build(Service, Rules(Service, v1: 90, v2: 10), seed: 3);
        using var metrics = new LoadstoneMetricCollector(Service, provider.GetRequiredService<IMeterFactory>());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        for (var n = 0; n < 5; n++)
        {
            await EndToEndKit.GetAsync(client, "/items", ("X-Beta", "true"));
        }

        for (var n = 0; n < 3; n++)
        {
            await EndToEndKit.GetAsync(client, "/img/a.png");
        }

        for (var n = 0; n < 7; n++)
        {
            await EndToEndKit.GetAsync(client, Canary);
        }

        await EndToEndKit.GetAsync(client, "/items");

        Assert.Equal(5, metrics.Sum("loadstone.routing.rule_matches", ("loadstone.routing.rule", "beta")));
        Assert.Equal(3, metrics.Sum("loadstone.routing.rule_matches", ("loadstone.routing.rule", "images")));
        Assert.Equal(7, metrics.Sum("loadstone.routing.rule_matches", ("loadstone.routing.rule", "canary")));
        Assert.Equal(15, metrics.Sum("loadstone.routing.rule_matches"));

        // Requests are counted once, under the logical service they were sent to.
        Assert.Equal(16, metrics.Sum("loadstone.requests"));
    }

    [Fact]
    public async Task Send_Synchronous_FollowsRoutingRules()
    {
        await using var provider = Build("catalog", Rules("catalog", v1: 90, v2: 10), seed: 2);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Add("X-Beta", "true");
        using var response = client.Send(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal(1, _backends[3].RequestCount);
        Assert.Equal(0, _backends[5].RequestCount);
    }

    private static string Group(string backend) => backend switch
    {
        "r0" or "r1" => "v1",
        "r2" => "v2",
        _ => throw new Xunit.Sdk.XunitException($"{backend} is in neither group"),
    };

    private async Task<double> CanaryShareAsync(HttpClient client, int requests)
    {
        var before = _backends.Counts;
        await IntegrationTests.SendSequentialAsync(client, requests, Canary);
        var shares = EndToEndKit.Shares(_backends, before, requests);
        Assert.Equal(1.0, shares[0] + shares[1] + shares[2], 12); // every request went to v1 or v2
        return shares[2];
    }

    private static ServiceProvider Build(string service, Dictionary<string, string?> data, int seed) =>
        EndToEndKit.Build(data, RegisterSeeded(service, seed));

    // Every pool gets a seeded random source; the split draws from the logical service's.
    private static Action<IServiceCollection> RegisterSeeded(string service, int seed) => services =>
    {
        services.AddSeededLoadBalancedHttpClient(service, seed);
        foreach (var target in (string[])["catalog-v1", "catalog-v2", "catalog-beta", "catalog-static"])
        {
            services.AddLoadBalancedService(target).UseRandom(new Random(seed));
        }
    };

    private Dictionary<string, string?> Rules(string service, int v1, int v2, string? stickiness = null)
    {
        var s = $"LoadBalancing:Services:{service}";
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [$"{s}:Endpoints:0"] = _backends[5].Address.ToString(),
            [$"{s}:StickySessions:KeySource"] = "Header",
            [$"{s}:StickySessions:KeyName"] = "X-User-Id",

            [$"{s}:Routes:0:Name"] = "canary",
            [$"{s}:Routes:0:Priority"] = "30",
            [$"{s}:Routes:0:Match:Paths:0"] = "/api/*",
            [$"{s}:Routes:0:Forward:Pools:0:Pool"] = "catalog-v1",
            [$"{s}:Routes:0:Forward:Pools:0:Weight"] = v1.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{s}:Routes:0:Forward:Pools:1:Pool"] = "catalog-v2",
            [$"{s}:Routes:0:Forward:Pools:1:Weight"] = v2.ToString(System.Globalization.CultureInfo.InvariantCulture),

            [$"{s}:Routes:1:Name"] = "beta",
            [$"{s}:Routes:1:Priority"] = "10",
            [$"{s}:Routes:1:Match:Headers:0:Name"] = "X-Beta",
            [$"{s}:Routes:1:Match:Headers:0:Values:0"] = "true",
            [$"{s}:Routes:1:Match:Headers:0:Values:1"] = "yes",
            [$"{s}:Routes:1:Forward:Pool"] = "catalog-beta",

            [$"{s}:Routes:2:Name"] = "images",
            [$"{s}:Routes:2:Priority"] = "20",
            [$"{s}:Routes:2:Match:Paths:0"] = "/img/*.png",
            [$"{s}:Routes:2:Match:Methods:0"] = "GET",
            [$"{s}:Routes:2:Forward:Pool"] = "catalog-static",

            ["LoadBalancing:Services:catalog-v1:Endpoints:0"] = _backends[0].Address.ToString(),
            ["LoadBalancing:Services:catalog-v1:Endpoints:1"] = _backends[1].Address.ToString(),
            ["LoadBalancing:Services:catalog-v2:Endpoints:0"] = _backends[2].Address.ToString(),
            ["LoadBalancing:Services:catalog-beta:Endpoints:0"] = _backends[3].Address.ToString(),
            ["LoadBalancing:Services:catalog-static:Endpoints:0"] = _backends[4].Address.ToString(),
        };
        if (stickiness is not null)
        {
            data[$"{s}:Routes:0:Forward:Stickiness"] = stickiness;
        }

        return data;
    }
}
