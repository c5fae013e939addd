using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.DependencyInjection;

/// <summary>Endpoint sources registered in code on a service's builder, and created from configuration by discovery providers.</summary>
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
        Assert.Contains("LoadBalancing:Services:catalog:Discovery:Consul: no discovery provider named 'Consul' (registered: List)", error.Message, StringComparison.Ordinal);
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
