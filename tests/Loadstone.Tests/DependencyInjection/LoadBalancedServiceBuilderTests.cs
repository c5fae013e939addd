using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Loadstone.Tests.Health;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.DependencyInjection;

/// <summary>
/// What a service's builder adds besides options: endpoint sources registered in code or created from configuration by
/// discovery providers, a strategy built in code, a random source and a probe handler; and the container's clock.
/// </summary>
public sealed class LoadBalancedServiceBuilderTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public LoadBalancedServiceBuilderTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task AddEndpointSource_SourceInCode_ItsEndpointsReceiveTheClientsTraffic()
    {
        var services = new ServiceCollection();
        var factoryCalls = 0;
        services.AddLoadBalancedService("catalog", o => o.Strategy = LoadBalancingStrategies.RoundRobin)
            .AddEndpointSource(_ =>
            {
                Interlocked.Increment(ref factoryCalls);
                return EndpointSource.Static(_backends.All.Select(b => new LoadBalancedEndpoint(b.Address)));
            });
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog")).AddLoadBalancing();
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog");

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetStringAsync("/items"));
        }

        Assert.Equal(["b0", "b1", "b2", "b0", "b1", "b2"], answers);
        // Options were built twice (the monitor above, then the pool); the source was created once.
        Assert.Equal(1, factoryCalls);
    }

    [Fact]
    public async Task DiscoveryProvider_SectionInConfiguration_CreatesTheSource()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Strategy"] = "RoundRobin",
            ["LoadBalancing:Services:catalog:Discovery:List:Addresses"] = string.Join(";", _backends.All.Select(b => b.Address)),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IEndpointSourceProvider, ListProvider>();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        Assert.Equal("b0", await client.GetStringAsync("/items"));
        Assert.Equal("b1", await client.GetStringAsync("/items"));
    }

    [Fact]
    public async Task DiscoveryProvider_Unknown_StartupErrorNamesTheKeyAndTheRegisteredProviders()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://127.0.0.1:1",
            ["LoadBalancing:Services:catalog:Discovery:Consul:Name"] = "catalog",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IEndpointSourceProvider, ListProvider>();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));
        Assert.Contains("Service 'catalog': Discovery:Consul (LoadBalancing:Services:catalog:Discovery:Consul) names no registered discovery provider (registered: List); register one, e.g. services.AddConsulDiscovery().", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiscoveryProvider_ReportsProblems_StartupErrorListsThem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Discovery:List:Adresses"] = "typo",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IEndpointSourceProvider, ListProvider>();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));
        Assert.Contains("LoadBalancing:Services:catalog:Discovery:List:Addresses is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseStrategy_WithUseRandomAndAContainerClock_ThePoolPicksWithItAndItsContextHasBoth()
    {
        var time = TestClock.Create();
        var random = new Random(3);
        StrategyContext? seen = null;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLoadBalancedService("catalog", o =>
            {
                o.Strategy = "NotRegistered"; // not validated: the strategy is built in code
                foreach (var backend in _backends.All)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            })
            .UseRandom(random)
            .UseStrategy(context =>
            {
                seen = context;
                return new LastStrategy();
            });
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog");

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        Assert.Equal("b2", await client.GetStringAsync("/items"));
        Assert.Equal("b2", await client.GetStringAsync("/items"));

        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        Assert.Equal("Last", pool.StrategyName);
        Assert.Same(time, pool.TimeProvider);
        Assert.Equal(new StrategyContext("catalog", random, time), seen);
    }

    [Fact]
    public async Task UseProbeHandler_ActiveChecks_ProbesGoThroughTheHandlerItBuilds()
    {
        var time = TestClock.Create();
        var handlers = new ConcurrentQueue<ProbeGate>();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLoadBalancedService("catalog", o =>
            {
                o.Endpoints.Add(_backends[0].Address.ToString());
                o.HealthChecks.Active.Enabled = true;
                o.HealthChecks.Active.Jitter = 0;
            })
            .UseProbeHandler(_ =>
            {
                var handler = new ProbeGate();
                handlers.Enqueue(handler);
                return handler;
            });
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        HealthKit.WaitFor(() => pool.Endpoints[0].Health == EndpointHealth.Healthy, "the first probe's answer");
        Assert.Equal(1, Assert.Single(handlers).Started);
        Assert.Equal(1, _backends[0].RequestCount);
    }

    private sealed class LastStrategy : ILoadBalancingStrategy
    {
        public string Name => "Last";

        public int Pick(CandidateSet candidates, HttpRequestMessage? request) => candidates.Count - 1;
    }

    /// <summary>A provider reading <c>Discovery:List:Addresses</c>, a semicolon-separated list.</summary>
    private sealed class ListProvider : IEndpointSourceProvider
    {
        public string Name => "List";

        public IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems)
        {
            if (section["Addresses"] is not { } addresses)
            {
                problems.Add($"{section.Path}:Addresses is missing.");
                return null;
            }

            return EndpointSource.Static(addresses.Split(';').Select(a => new LoadBalancedEndpoint(a)));
        }
    }
}
