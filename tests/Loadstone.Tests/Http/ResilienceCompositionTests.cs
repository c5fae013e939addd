using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Loadstone.Tests.Http;

/// <summary>
/// Loadstone with Microsoft.Extensions.Http.Resilience's standard handler and Microsoft.Extensions.ServiceDiscovery in the
/// client defaults (as an Aspire service-defaults project has them), without the ServiceDiscovery bridge: the core alone
/// places its handler, turns the resilience handler's retries into retries on other endpoints, and bounds them with its
/// retry budget, against real backends.
/// </summary>
public sealed class ResilienceCompositionTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public ResilienceCompositionTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddLoadBalancedHttpClient_WithServiceDefaults_LoadstoneBalancesEveryRequest(bool defaultsFirst)
    {
        await using var services = Build(defaultsFirst, LoadBalancingStrategies.FirstAvailable);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await IntegrationTests.SendSequentialAsync(client, 20);

        Assert.Equal([20, 0, 0], _backends.Counts);
        Assert.Equal(20, Pool(services).Endpoints.Sum(e => e.TotalRequests));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FailedAttempt_TheResilienceHandlersRetry_GoesToAnotherEndpoint(bool defaultsFirst)
    {
        await using var services = Build(defaultsFirst, LoadBalancingStrategies.FirstAvailable);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        _backends[0].StatusCode = 503;

        using var response = await client.GetAsync("/items/1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([1, 1, 0], _backends.Counts);
        Assert.Equal(["/items/1"], _backends[1].Received);
    }

    [Fact]
    public async Task RetryBudgetSpent_TheResilienceHandlersRetryIsRefused()
    {
        await using var services = Build(defaultsFirst: true, LoadBalancingStrategies.RoundRobin, new()
        {
            ["LoadBalancing:Services:catalog:Retries:BudgetPercent"] = "0",
            ["LoadBalancing:Services:catalog:Retries:MinRetriesPerSecond"] = "0",
        });
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        foreach (var backend in _backends.All)
        {
            backend.StatusCode = 503;
        }

        var error = await Assert.ThrowsAsync<RetryBudgetExceededException>(() => client.GetAsync("/items"));

        Assert.Equal("catalog", error.ServiceName);
        Assert.Equal(2, error.Attempt);
        Assert.Equal(1, _backends.Counts.Sum());
    }

    [Fact]
    public async Task SynchronousSend_SameComposition()
    {
        await using var services = Build(defaultsFirst: false, LoadBalancingStrategies.FirstAvailable);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        _backends[0].StatusCode = 503;

        using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, "/items/2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([1, 1, 0], _backends.Counts);
    }

    private static ServicePool Pool(IServiceProvider services) => services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

    private ServiceProvider Build(bool defaultsFirst, string strategy, Dictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>(settings ?? [])
        {
            ["Services:catalog:http:0"] = _backends[0].Address.ToString(),
            ["Services:catalog:http:1"] = _backends[1].Address.ToString(),
            ["Services:catalog:http:2"] = _backends[2].Address.ToString(),
            ["LoadBalancing:Services:catalog:Strategy"] = strategy,
        };
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        if (!defaultsFirst)
        {
            services.AddLoadBalancedHttpClient("catalog");
        }

        services.AddServiceDiscovery();
        services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        if (defaultsFirst)
        {
            services.AddLoadBalancedHttpClient("catalog");
        }

        services.ConfigureAll<HttpStandardResilienceOptions>(o => o.Retry.Delay = TimeSpan.FromMilliseconds(5));
        return services.BuildServiceProvider();
    }
}
