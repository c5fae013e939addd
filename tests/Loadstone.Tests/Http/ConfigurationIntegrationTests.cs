using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Loadstone.Tests.Http.IntegrationTests;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Http;

/// <summary>
/// Services configured under <c>LoadBalancing:Services</c>, reloaded while the application runs: real backends
/// see the change, and a bad reload keeps the last good endpoints serving.
/// </summary>
public sealed class ConfigurationIntegrationTests : IClassFixture<ThreeBackendsFixture>
{
    private const string Catalog = "LoadBalancing:Services:catalog";
    private readonly BackendSet _backends;

    public ConfigurationIntegrationTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task Configuration_StringAndObjectEndpointsAndStrategy_SpreadsByConfiguredWeights()
    {
        var (provider, _) = Build(new Dictionary<string, string?>
        {
            [$"{Catalog}:Strategy"] = "weightedRoundRobin",
            [$"{Catalog}:Endpoints:0"] = _backends[0].Address.ToString(),
            [$"{Catalog}:Endpoints:1:Address"] = _backends[1].Address.ToString(),
            [$"{Catalog}:Endpoints:1:Weight"] = "2",
            [$"{Catalog}:Endpoints:1:Zone"] = "eu-west-1a",
            [$"{Catalog}:Endpoints:2:Address"] = _backends[2].Address.ToString(),
            [$"{Catalog}:Endpoints:2:Weight"] = "3",
            [$"{Catalog}:Endpoints:2:Zone"] = "eu-west-1b",
            [$"{Catalog}:Endpoints:2:Metadata:version"] = "2.1",
        });
        await using var _ = provider;
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 600);

        Assert.Equal([100, 200, 300], _backends.Counts);
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        Assert.Equal(LoadBalancingStrategies.WeightedRoundRobin, pool.StrategyName);
        Assert.Equal([null, "eu-west-1a", "eu-west-1b"], pool.Endpoints.Select(e => e.Endpoint.Zone));
        Assert.Equal([1, 2, 3], pool.Endpoints.Select(e => e.Endpoint.Weight));
        Assert.Equal("2.1", pool.Endpoints[2].Endpoint.Metadata["version"]);
    }

    [Fact]
    public async Task Reload_EndpointsAddedAndRemoved_TakeEffectWithoutRestart()
    {
        var (provider, source) = Build(Endpoints(0, 1));
        await using var _ = provider;
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        await SendSequentialAsync(client, 20);
        Assert.Equal([10, 10, 0], _backends.Counts);

        source.Provider.Replace(Endpoints(1, 2));
        await SendSequentialAsync(client, 20);

        Assert.Equal([10, 20, 10], _backends.Counts);
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        Assert.Equal(20, pool.Endpoints.Single(e => e.Endpoint.Address == _backends[1].Address).TotalRequests); // kept its state
    }

    [Fact]
    public async Task Reload_StrategyChanged_TakesEffectWithoutRestart()
    {
        var (provider, source) = Build(Endpoints(0, 1, 2));
        await using var _ = provider;
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        await SendSequentialAsync(client, 9);
        Assert.Equal([3, 3, 3], _backends.Counts);

        var firstAvailable = Endpoints(0, 1, 2);
        firstAvailable[$"{Catalog}:Strategy"] = LoadBalancingStrategies.FirstAvailable;
        source.Provider.Replace(firstAvailable);
        await SendSequentialAsync(client, 9);

        Assert.Equal([12, 3, 3], _backends.Counts);
    }

    [Fact]
    public async Task Reload_MalformedUri_IsRejectedLoggedAndLastGoodEndpointsKeepServing()
    {
        var (provider, source) = Build(Endpoints(0, 1));
        await using var _ = provider;
        var logs = provider.GetRequiredService<FakeLogCollector>();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        await SendSequentialAsync(client, 4);

        var bad = Endpoints(2);
        bad[$"{Catalog}:Endpoints:1"] = "http://exa mple:80:90";
        source.Provider.Replace(bad);
        await SendSequentialAsync(client, 4);

        Assert.Equal([4, 4, 0], _backends.Counts);
        var entry = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains("'catalog'", entry.Message, StringComparison.Ordinal);
        Assert.Contains($"{Catalog}:Endpoints:1", entry.Message, StringComparison.Ordinal);

        // Fixing the configuration is picked up by the next reload.
        source.Provider.Replace(Endpoints(2));
        await SendSequentialAsync(client, 3);
        Assert.Equal([4, 4, 3], _backends.Counts);
    }

    private Dictionary<string, string?> Endpoints(params int[] backends)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [$"{Catalog}:Strategy"] = LoadBalancingStrategies.RoundRobin,
        };
        for (var i = 0; i < backends.Length; i++)
        {
            data[$"{Catalog}:Endpoints:{i}"] = _backends[backends[i]].Address.ToString();
        }

        return data;
    }

    [Fact]
    public async Task Reload_NewServiceAndHostOption_RoutedWithoutWaitingForHandlerRotation()
    {
        var (provider, source) = Build(Endpoints(0));
        await using var _ = provider;
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        // Before the reload "orders" is not a service: the request passes through to a host that does not exist.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("http://orders/x"));

        var data = Endpoints(0);
        data["LoadBalancing:Services:orders:Endpoints:0"] = _backends[2].Address.ToString();
        data[$"{Catalog}:UseServiceNameAsHost"] = "true";
        source.Provider.Replace(data);

        using var orders = await client.GetAsync("http://orders/x");
        orders.EnsureSuccessStatusCode();
        Assert.Equal(1, _backends[2].RequestCount);

        using var catalog = await client.GetAsync("/host");
        catalog.EnsureSuccessStatusCode();
        Assert.Equal("catalog", _backends[0].HostHeaders.Last());
    }

    private static (ServiceProvider Provider, ReloadableConfigurationSource Source) Build(IDictionary<string, string?> data)
    {
        var source = new ReloadableConfigurationSource(data);
        var configuration = new ConfigurationBuilder().Add(source).Build();
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(logs);
        services.AddLogging(b => b.AddRecording(logs));
        services.AddLoadBalancedHttpClient("catalog");
        return (services.BuildServiceProvider(), source);
    }
}
