using System.Diagnostics.Metrics;
using Loadstone.Tests.Http;
using Loadstone.Tests.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Affinity;

/// <summary>
/// Sticky sessions as an application uses them: clients from dependency injection, options in code or in an
/// in-memory configuration that is reloaded, real Kestrel backends on 127.0.0.1.
/// </summary>
public sealed class StickySessionEndToEndTests
{
    private const string UserHeader = "X-User-Id";

    [Fact]
    public async Task AddLoadBalancedHttpClient_HeaderKey_SameKeySameBackendKeysSpreadUnkeyedBalanced()
    {
        await using var backends = await BackendSet.StartAsync(6);
        await using var provider = EndToEndKit.Build(new Dictionary<string, string?>(), services =>
            services.AddSeededLoadBalancedHttpClient("sticky-code-e2e", seed: 3, o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                o.StickySessions.KeyFromHeader(UserHeader);
                foreach (var backend in backends.All)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            }));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sticky-code-e2e");
        var keys = EndToEndKit.Keys(60);

        var first = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            first[key] = await EndToEndKit.GetAsync(client, "/items", (UserHeader, key));
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var key in keys)
            {
                Assert.Equal(first[key], await EndToEndKit.GetAsync(client, "/items", (UserHeader, key)));
            }
        }

        // Bounded loads (c = 1.25) cap each backend at ⌈1.25 × 10⌉ = 13 of the 60 keys, so at least 5 are used.
        var perBackend = first.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(perBackend.Count >= 5, $"keys used {perBackend.Count} backends");
        Assert.All(perBackend.Values, n => Assert.InRange(n, 1, 13));

        // Requests without a key go to the pool's strategy: round robin, exactly even.
        var before = backends.Counts;
        for (var n = 0; n < 60; n++)
        {
            await EndToEndKit.GetAsync(client, "/items");
        }

        Assert.All(backends.Counts.Zip(before), c => Assert.Equal(10, c.First - c.Second));
    }

    [Fact]
    public async Task Reload_BoundBackendRemoved_KeyMovesAndStaysKeyNeverLoggedOrTagged()
    {
        const string Service = "sticky-reload-e2e";
        await using var backends = await BackendSet.StartAsync(4);
        var source = new ReloadableConfigurationSource(StickyConfiguration(Service, backends, 0, 1, 2, 3));
        var logs = new FakeLogCollector();
        await using var provider = EndToEndKit.Build(source, logs, services =>
            services.AddSeededLoadBalancedHttpClient(Service, seed: 11));
        using var metrics = new LoadstoneMetricCollector(Service, provider.GetRequiredService<IMeterFactory>());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);
        var keys = EndToEndKit.Keys(40);

        var before = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            before[key] = await EndToEndKit.GetAsync(client, "/items", (UserHeader, key));
            Assert.Equal(before[key], await EndToEndKit.GetAsync(client, "/items", (UserHeader, key)));
        }

        Assert.Equal(keys.Length, metrics.Sum("loadstone.sticky.decisions", ("loadstone.sticky.result", "new")));
        Assert.Equal(keys.Length, metrics.Sum("loadstone.sticky.decisions", ("loadstone.sticky.result", "bound")));

        // Remove the backend holding the most keys.
        var removed = before.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
        var removedIndex = Array.FindIndex(backends.All, b => b.Name == removed);
        source.Provider.Replace(StickyConfiguration(Service, backends, Enumerable.Range(0, 4).Where(i => i != removedIndex).ToArray()));

        var after = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            after[key] = await EndToEndKit.GetAsync(client, "/items", (UserHeader, key));
        }

        var moved = keys.Where(k => before[k] == removed).ToArray();
        Assert.NotEmpty(moved);
        Assert.All(moved, k => Assert.NotEqual(removed, after[k]));
        Assert.All(keys.Except(moved), k => Assert.Equal(before[k], after[k])); // the others keep their bindings
        Assert.Equal(moved.Length, metrics.Sum("loadstone.sticky.decisions", ("loadstone.sticky.result", "rebound")));

        // The moved keys stay where they went, also once the old backend is back.
        source.Provider.Replace(StickyConfiguration(Service, backends, 0, 1, 2, 3));
        foreach (var key in keys)
        {
            Assert.Equal(after[key], await EndToEndKit.GetAsync(client, "/items", (UserHeader, key)));
        }

        // Unkeyed requests are balanced normally and counted as "none".
        for (var n = 0; n < 8; n++)
        {
            await EndToEndKit.GetAsync(client, "/items");
        }

        Assert.Equal(8, metrics.Sum("loadstone.sticky.decisions", ("loadstone.sticky.result", "none")));

        // The raw key appears in no log line (every level captured) and in no metric tag.
        Assert.NotEmpty(logs.Entries);
        Assert.All(logs.Entries, e => Assert.DoesNotContain(keys, k => e.Message.Contains(k, StringComparison.Ordinal)));
        Assert.NotEmpty(metrics.All);
        Assert.All(metrics.All, r => Assert.DoesNotContain(r.Tags.Values, v => v is not null && keys.Any(k => v.Contains(k, StringComparison.Ordinal))));
        Assert.All(metrics.Of("loadstone.sticky.decisions"), r =>
            Assert.Contains(r.Tag("loadstone.sticky.result"), new[] { "bound", "new", "rebound", "none" }));
    }

    [Fact]
    public async Task Restart_FreshServiceProviderSameEndpoints_MapsKeysIdentically()
    {
        await using var backends = await BackendSet.StartAsync(5);
        var keys = EndToEndKit.Keys(50);

        async Task<Dictionary<string, string>> MapAsync(params int[] order)
        {
            await using var provider = EndToEndKit.Build(StickyConfiguration("sticky-restart-e2e", backends, order),
                services => services.AddLoadBalancedHttpClient("sticky-restart-e2e"));
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sticky-restart-e2e");
            var map = new Dictionary<string, string>();
            foreach (var key in keys)
            {
                map[key] = await EndToEndKit.GetAsync(client, "/items", (UserHeader, key));
            }

            return map;
        }

        var first = await MapAsync(0, 1, 2, 3, 4);
        var second = await MapAsync(4, 2, 0, 3, 1); // a new process, endpoints listed in another order

        Assert.Equal(first, second);
        Assert.True(first.Values.Distinct().Count() >= 4);
    }

    [Fact]
    public async Task StickyAndZoneAffinity_BoundKeysMayLeaveTheLocalZone_UnkeyedStayLocal()
    {
        const string Service = "sticky-zone-e2e";
        await using var backends = await BackendSet.StartAsync(6);
        var data = StickyConfiguration(Service, backends);
        string[] zones = ["a", "a", "b", "b", "b", "b"];
        for (var i = 0; i < backends.All.Length; i++)
        {
            data[$"LoadBalancing:Services:{Service}:Endpoints:{i}:Address"] = backends[i].Address.ToString();
            data[$"LoadBalancing:Services:{Service}:Endpoints:{i}:Zone"] = zones[i];
        }

        data[$"LoadBalancing:Services:{Service}:Zones:Mode"] = "Affinity";
        data[$"LoadBalancing:Services:{Service}:Zones:LocalZone"] = "a";
        await using var provider = EndToEndKit.Build(data, services => services.AddSeededLoadBalancedHttpClient(Service, seed: 4));
        using var metrics = new LoadstoneMetricCollector(Service, provider.GetRequiredService<IMeterFactory>());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);
        var inZoneB = backends.All.Where((_, i) => zones[i] == "b").Select(b => b.Name).ToHashSet();

        // Unkeyed requests: full affinity keeps them in zone a.
        for (var n = 0; n < 100; n++)
        {
            Assert.DoesNotContain(await EndToEndKit.GetAsync(client, "/items"), inZoneB);
        }

        Assert.Equal(100, metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "local")));

        // Keyed requests: consistent hashing over every candidate, so some keys live in zone b, and stay there.
        var keys = EndToEndKit.Keys(40);
        var map = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            map[key] = await EndToEndKit.GetAsync(client, "/items", (UserHeader, key));
            Assert.Equal(map[key], await EndToEndKit.GetAsync(client, "/items", (UserHeader, key)));
        }

        Assert.Contains(map.Values, inZoneB.Contains);
        Assert.Contains(map.Values, v => !inZoneB.Contains(v));

        // The sticky step decided every keyed request, so zone preference was not consulted for them.
        Assert.Equal(100, metrics.Sum("loadstone.zone.picks"));
        Assert.Equal(0, metrics.Sum("loadstone.zone.picks", ("loadstone.zone.kind", "remote")));
    }

    private static Dictionary<string, string?> StickyConfiguration(string service, BackendSet backends, params int[] endpoints)
    {
        var prefix = $"LoadBalancing:Services:{service}";
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [$"{prefix}:Strategy"] = LoadBalancingStrategies.RoundRobin,
            [$"{prefix}:StickySessions:KeySource"] = "Header",
            [$"{prefix}:StickySessions:KeyName"] = UserHeader,
        };
        for (var i = 0; i < endpoints.Length; i++)
        {
            data[$"{prefix}:Endpoints:{i}"] = backends[endpoints[i]].Address.ToString();
        }

        return data;
    }
}

/// <summary>Helpers of the end-to-end tests: a container from an in-memory configuration, requests, keys.</summary>
internal static class EndToEndKit
{
    /// <summary>A container with a (reloadable) in-memory configuration, logs captured at every level, and the given registrations.</summary>
    public static ServiceProvider Build(IDictionary<string, string?> data, Action<IServiceCollection> register) =>
        Build(new ReloadableConfigurationSource(data), new FakeLogCollector(), register);

    public static ServiceProvider Build(ReloadableConfigurationSource source, FakeLogCollector logs, Action<IServiceCollection> register)
    {
        var configuration = new ConfigurationBuilder().Add(source).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Trace));
        register(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Distinct keys that cannot occur by chance in a log line or a tag.</summary>
    public static string[] Keys(int count) =>
        Enumerable.Range(0, count).Select(i => $"secret-{i:D3}-{Guid.NewGuid():N}").ToArray();

    /// <summary>Sends a GET and returns the name of the backend that answered; the request must succeed.</summary>
    public static async Task<string> GetAsync(HttpClient client, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The share of <paramref name="total"/> requests each backend received since <paramref name="before"/>.</summary>
    public static double[] Shares(BackendSet backends, int[] before, int total) =>
        backends.Counts.Zip(before, (now, then) => (now - then) / (double)total).ToArray();

    /// <summary>Asserts a measured share within <paramref name="sigmas"/> binomial standard deviations of the expected one.</summary>
    public static void AssertShare(double expected, double measured, int requests, double sigmas, string what)
    {
        var sigma = Math.Sqrt(expected * (1 - expected) / requests);
        Assert.True(Math.Abs(measured - expected) <= sigmas * sigma,
            $"{what}: measured {measured:P2}, expected {expected:P2} ± {sigmas * sigma:P2} ({sigmas} σ over {requests} requests)");
    }
}

/// <summary>Runs alone: other tests' metric listeners would allocate on this thread while it measures.</summary>
[CollectionDefinition(nameof(MetricsAllocationEndToEndTests), DisableParallelization = true)]
public sealed class MetricsAllocationCollection;

/// <summary>
/// The request-path call sites of the sticky, zone and routing counters, with a listener subscribed (so the
/// counters are enabled and record), allocate nothing per pick once warm.
/// </summary>
[Collection(nameof(MetricsAllocationEndToEndTests))]
public sealed class MetricsAllocationEndToEndTests
{
    [Fact]
    public void Picks_WithCountersEnabled_AllocateNothing()
    {
        long recorded = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LoadstoneMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref recorded, value));
        listener.Start();

        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.Random };
        string[] zones = ["a", "a", "b", "b", "b", "b"];
        for (var i = 0; i < zones.Length; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint($"http://10.0.0.{i + 1}:8080", zones[i]));
        }

        options.Zones.Mode = ZoneRoutingMode.PerZone;
        options.Zones.LocalZone = "a";
        options.StickySessions.KeyFromHeader("X-User-Id");
        var rule = new RoutingRule { Name = "beta", Priority = 1 };
        rule.Match.Headers.Add(new HeaderMatch { Name = "X-Beta", Values = { "true" } });
        rule.Forward.Pool = "catalog-beta";
        options.Routes.Add(rule);
        using var pool = new ServicePool("alloc-e2e", options, new ServicePoolDependencies { Random = new Random(1) });
        using var keyed = new HttpRequestMessage(HttpMethod.Get, "http://alloc-e2e/items");
        keyed.Headers.Add("X-User-Id", "secret-key-0123456789abcdef0123456789");
        using var unkeyed = new HttpRequestMessage(HttpMethod.Get, "http://alloc-e2e/items");
        unkeyed.Headers.Add("X-Beta", "true");
        var snapshot = pool.Snapshot;
        var pipeline = snapshot.Pipeline;
        var routing = new ServiceEntry(pool).Routing!;

        var sum = 0;
        for (var n = 0; n < 100; n++)
        {
            sum += Pick(pipeline, keyed) + Pick(pipeline, unkeyed) + routing.Route(unkeyed, pool.Random);
        }

        var before = recorded;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var n = 0; n < 1000; n++)
        {
            sum += Pick(pipeline, keyed) + Pick(pipeline, unkeyed) + routing.Route(unkeyed, pool.Random);
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(0, allocated);
        Assert.True(sum >= 0);

        // Each round recorded a sticky decision (bound), a sticky decision (none) with a zone pick, and a rule match.
        Assert.True(Interlocked.Read(ref recorded) - before >= 4000, $"recorded {recorded - before}");
    }

    private static int Pick(PickPipeline pipeline, HttpRequestMessage request)
    {
        var context = new PickContext(request);
        return pipeline.Pick(ref context);
    }
}
