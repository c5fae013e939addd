using System.Net.Security;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Tests.Http.IntegrationTests;

namespace Loadstone.Tests.Http;

/// <summary>
/// <see cref="LoadBalancingOptions.MatchRequestScheme"/>, and the <c>Services</c> reader's handling of an empty section
/// that a later configuration source fills, against real backends (two http, one https).
/// </summary>
public sealed class MatchRequestSchemeTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public MatchRequestSchemeTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task MatchRequestScheme_PlainRequestsUseTheirOwnScheme_PreferenceFormsUnchanged()
    {
        using var certificate = TestCertificates.CreateSelfSigned("catalog");
        await using var secure = await TestCertificates.StartHttpsBackendAsync("secure", certificate);
        await using var provider = Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:MatchRequestScheme"] = "true",
            ["LoadBalancing:Services:catalog:Strategy"] = LoadBalancingStrategies.RoundRobin,
            ["LoadBalancing:Services:catalog:UseServiceNameAsHost"] = "true",
            ["Services:catalog:http:0"] = _backends[0].Address.ToString(),
            ["Services:catalog:http:1"] = _backends[1].Address.ToString(),
            ["Services:catalog:https:0"] = $"127.0.0.1:{secure.Port}",
        }).Build());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("client");

        await SendSequentialAsync(client, 6, "http://catalog/items");
        Assert.Equal([3, 3, 0], _backends.Counts);
        Assert.Equal(0, secure.RequestCount);

        await SendSequentialAsync(client, 4, "https://catalog/items");
        await SendSequentialAsync(client, 2, "https+http://catalog/items");
        Assert.Equal([3, 3, 0], _backends.Counts);
        Assert.Equal(6, secure.RequestCount);
    }

    [Fact]
    public async Task WithoutMatchRequestScheme_PlainRequestsReachEveryUnnamedEndpoint()
    {
        using var certificate = TestCertificates.CreateSelfSigned("catalog");
        await using var secure = await TestCertificates.StartHttpsBackendAsync("secure", certificate);
        await using var provider = Build(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Strategy"] = LoadBalancingStrategies.RoundRobin,
            ["LoadBalancing:Services:catalog:UseServiceNameAsHost"] = "true",
            ["Services:catalog:http:0"] = _backends[0].Address.ToString(),
            ["Services:catalog:https:0"] = $"127.0.0.1:{secure.Port}",
        }).Build());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("client");

        await SendSequentialAsync(client, 4, "http://catalog/items");

        Assert.Equal(2, _backends[0].RequestCount);
        Assert.Equal(2, secure.RequestCount);
    }

    [Fact]
    public async Task EmptyArrayInJson_EntriesOfALaterSourceBelowIt_AreRead()
    {
        // appsettings.json has "http": [] (an empty value); environment variables (here in memory) add entries below it.
        var json = """{ "Services": { "catalog": { "http": [] } }, "LoadBalancing": { "Services": { "catalog": { "Strategy": "RoundRobin" } } } }""";
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Services:catalog:http:0"] = _backends[1].Address.ToString(),
                ["Services:catalog:http:1"] = _backends[2].Address.ToString(),
            })
            .Build();
        Assert.Equal(string.Empty, configuration["Services:catalog:http"]);
        await using var provider = Build(configuration);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("client");

        await SendSequentialAsync(client, 4, "http://catalog/items");

        Assert.Equal([0, 2, 2], _backends.Counts);
    }

    private static ServiceProvider Build(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddHttpClient("client")
            .AddLoadBalancing("catalog")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = static (_, _, _, errors) => errors == SslPolicyErrors.RemoteCertificateChainErrors,
                },
            });
        return services.BuildServiceProvider();
    }
}
