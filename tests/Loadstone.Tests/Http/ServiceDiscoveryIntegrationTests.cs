using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Tests.Http.IntegrationTests;

namespace Loadstone.Tests.Http;

/// <summary>
/// Configuration written for Microsoft.Extensions.ServiceDiscovery (<c>Services:{service}:{endpointName}</c>) and its
/// URI conventions (<c>https+http://catalog</c>, <c>http://_dashboard.catalog</c>) work unchanged against real backends.
/// </summary>
public sealed class ServiceDiscoveryIntegrationTests : IClassFixture<ThreeBackendsFixture>
{
    private const string RoundRobinKey = "LoadBalancing:Services:catalog:Strategy";
    private readonly BackendSet _backends;

    public ServiceDiscoveryIntegrationTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task ServicesSchema_ArrayOfHostPort_BalancesOverEveryEntry()
    {
        await using var provider = Build(new()
        {
            [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
            ["Services:catalog:http:0"] = HostPort(0),
            ["Services:catalog:http:1"] = HostPort(1),
            ["Services:catalog:http:2"] = HostPort(2),
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 30);

        Assert.Equal([10, 10, 10], _backends.Counts);
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        Assert.All(pool.Endpoints, e => Assert.Equal(Uri.UriSchemeHttp, e.Endpoint.Address.Scheme));
        Assert.All(pool.Endpoints, e => Assert.Null(e.Endpoint.Name));
    }

    [Fact]
    public async Task ServicesSchema_SingleStringsUnderDefaultAndHttp_BothServePlainRequests()
    {
        // Without a LoadBalancing section at all: the service exists because Services:catalog does.
        await using var provider = Build(new()
        {
            ["Services:catalog:default"] = _backends[0].Address.ToString(),
            ["Services:catalog:http"] = HostPort(1),
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 200);

        var counts = _backends.Counts;
        Assert.Equal(200, counts[0] + counts[1]);
        Assert.True(counts[0] > 0 && counts[1] > 0, $"Both entries should serve: {string.Join(", ", counts)}.");
        Assert.Equal(0, counts[2]);
    }

    [Fact]
    public async Task HttpsPlusHttp_HttpsAndHttpEndpoints_EveryRequestGoesToHttps()
    {
        using var certificate = TestCertificates.CreateSelfSigned("catalog");
        await using var secure = await TestCertificates.StartHttpsBackendAsync("secure", certificate);
        await using var provider = Build(
            new()
            {
                [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
                ["LoadBalancing:Services:catalog:UseServiceNameAsHost"] = "true",
                ["Services:catalog:http:0"] = HostPort(0),
                ["Services:catalog:http:1"] = HostPort(1),
                ["Services:catalog:https:0"] = $"127.0.0.1:{secure.Port}", // host:port under https is https
            },
            baseAddress: "https+http://catalog");
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 12);

        Assert.Equal(12, secure.RequestCount);
        Assert.Equal([0, 0, 0], _backends.Counts);
        Assert.All(secure.HostHeaders, h => Assert.Equal("catalog", h));

        // A plain http://catalog request names no preference: every unnamed endpoint serves, whatever its scheme.
        await SendSequentialAsync(client, 12, "http://catalog/items");
        Assert.Equal(16, secure.RequestCount);
        Assert.Equal([4, 4, 0], _backends.Counts);
    }

    [Fact]
    public async Task HttpsPlusHttp_OnlyHttpEndpoints_FallsBackToHttp()
    {
        await using var provider = Build(
            new()
            {
                [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
                ["Services:catalog:http:0"] = HostPort(0),
                ["Services:catalog:http:1"] = _backends[1].Address.ToString(),
            },
            baseAddress: "https+http://catalog");
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 10);

        Assert.Equal([5, 5, 0], _backends.Counts);
    }

    [Fact]
    public async Task HttpPlusHttps_BothSchemes_PrefersTheFirstListed()
    {
        using var certificate = TestCertificates.CreateSelfSigned("catalog");
        await using var secure = await TestCertificates.StartHttpsBackendAsync("secure", certificate);
        await using var provider = Build(
            new()
            {
                ["Services:catalog:https"] = $"https://127.0.0.1:{secure.Port}",
                ["Services:catalog:http"] = HostPort(2),
            },
            baseAddress: "http+https://catalog");
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 5);

        Assert.Equal(0, secure.RequestCount);
        Assert.Equal([0, 0, 5], _backends.Counts);
    }

    [Fact]
    public async Task NamedEndpoint_UnderscoreNameDotService_ReachesOnlyThatEndpoint()
    {
        await using var provider = Build(new()
        {
            [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
            ["Services:catalog:http:0"] = HostPort(0),
            ["Services:catalog:http:1"] = HostPort(1),
            ["Services:catalog:dashboard"] = HostPort(2),
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 4, "http://_dashboard.catalog/metrics");
        await SendSequentialAsync(client, 2, "https+http://_dashboard.catalog/metrics"); // falls back to its http address
        await SendSequentialAsync(client, 10, "http://catalog/items");

        Assert.Equal([5, 5, 6], _backends.Counts);
        Assert.All(_backends[2].Received, path => Assert.Equal("/metrics", path));
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        Assert.Equal("dashboard", pool.Endpoints.Single(e => e.Endpoint.Address.Port == _backends[2].Port).Endpoint.Name);
    }

    [Fact]
    public async Task NamedEndpoint_SchemeSectionName_ReachesTheUnnamedEndpointsOfThatScheme()
    {
        await using var provider = Build(new()
        {
            ["Services:catalog:http:0"] = HostPort(0),
            ["Services:catalog:https:0"] = "127.0.0.1:1", // never contacted: _http.catalog asks for http
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 4, "http://_http.catalog/items");

        Assert.Equal([4, 0, 0], _backends.Counts);
        Assert.Equal(2, provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog").Endpoints.Count);
    }

    [Fact]
    public async Task NamedEndpoint_UnknownName_ThrowsNoMatchingEndpoint()
    {
        await using var provider = Build(new() { ["Services:catalog:http:0"] = HostPort(0) });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        var ex = await Assert.ThrowsAsync<NoAvailableEndpointException>(() => client.GetAsync("http://_admin.catalog/"));

        Assert.Equal("catalog", ex.ServiceName);
        Assert.Equal(NoAvailableEndpointReason.NoMatchingEndpoint, ex.Reason);
        Assert.Equal([0, 0, 0], _backends.Counts);
    }

    [Fact]
    public async Task ServicesSchema_ReloadAddsAnEntry_TakesEffectWithoutRestart()
    {
        var source = new ReloadableConfigurationSource(new Dictionary<string, string?>
        {
            [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
            ["Services:catalog:http:0"] = HostPort(0),
        });
        await using var provider = BuildWithSource(source);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        await SendSequentialAsync(client, 4);

        source.Provider.Replace(new Dictionary<string, string?>
        {
            [RoundRobinKey] = LoadBalancingStrategies.RoundRobin,
            ["Services:catalog:http:0"] = HostPort(0),
            ["Services:catalog:http:1"] = HostPort(1),
        });
        await SendSequentialAsync(client, 4);

        Assert.Equal([6, 2, 0], _backends.Counts);
    }

    private string HostPort(int backend) => $"127.0.0.1:{_backends[backend].Port}";

    private static ServiceProvider Build(Dictionary<string, string?> settings, string baseAddress = "http://catalog") =>
        BuildWithSource(new ReloadableConfigurationSource(settings), baseAddress);

    private static ServiceProvider BuildWithSource(ReloadableConfigurationSource source, string baseAddress = "http://catalog")
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Add(source).Build());
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri(baseAddress))
            .AddLoadBalancing("catalog")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    // The test's self-signed root is the only acceptable flaw.
                    RemoteCertificateValidationCallback = static (_, _, _, errors) => errors == SslPolicyErrors.RemoteCertificateChainErrors,
                },
            });
        return services.BuildServiceProvider();
    }
}
