using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Http;

/// <summary>Bad configuration stops a real host at start, with a message that names the service and the key.</summary>
public sealed class StartupValidationIntegrationTests
{
    private const string Catalog = "LoadBalancing:Services:catalog";

    [Theory]
    [InlineData("Endpoints:0", "http://catalog-1:80:90", "LoadBalancing:Services:catalog:Endpoints:0", "'http://catalog-1:80:90' is not an absolute URI")]
    [InlineData("Endpoints:0", "ftp://10.0.0.5:21", "LoadBalancing:Services:catalog:Endpoints:0", "only http and https are supported")]
    [InlineData("Endpoints:0", "http://user:secret@10.0.0.5", "LoadBalancing:Services:catalog:Endpoints:0", "carries credentials")]
    [InlineData("Strategy", "Fastest", "LoadBalancing:Services:catalog:Strategy", "Strategy 'Fastest'")]
    [InlineData("Stratgy", "RoundRobin", "LoadBalancing:Services:catalog:Stratgy", "is not a known setting")]
    [InlineData("LatencyDecayTime", "00:00:00.001", "LoadBalancing:Services:catalog:LatencyDecayTime", "LatencyDecayTime")]
    public async Task StartAsync_BadSetting_ThrowsOptionsValidationNamingServiceAndKey(string key, string value, string expectedKey, string expectedText)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.5:8080",
            [$"{Catalog}:Endpoints:1"] = "http://10.0.0.6:8080",
            [$"{Catalog}:{key}"] = value,
        };
        using var host = BuildHost(settings);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("catalog", ex.OptionsName);
        Assert.Contains(expectedKey, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expectedText, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SeveralProblems_ReportsEveryOneAtOnce()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            [$"{Catalog}:Strategy"] = "Fastest",
            [$"{Catalog}:Endpoints:0"] = "not a uri",
            [$"{Catalog}:Endpoints:1:Address"] = "http://10.0.0.6:8080",
            [$"{Catalog}:Endpoints:1:Weight"] = "heavy",
            [$"{Catalog}:Endpoints:2"] = "http://10.0.0.8:8080",
            ["Services:catalog:http:0"] = "10.0.0.7:notaport",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{Catalog}:Strategy", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Catalog}:Endpoints:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Catalog}:Endpoints:1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Services:catalog:http:0", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, ex.Failures.Count());
    }

    [Fact]
    public async Task StartAsync_MisspelledKeyAndBadValue_ReportsBoth()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            [$"{Catalog}:Stratgy"] = "RoundRobin",
            [$"{Catalog}:Strategy"] = "Fastest",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.5:8080",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Service 'catalog': Stratgy (LoadBalancing:Services:catalog:Stratgy) is not a known setting;", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean Strategy?", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Strategy 'Fastest'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ServiceWithoutAnyEndpoints_ThrowsNamingWhereToAddThem()
    {
        using var host = BuildHost(new Dictionary<string, string?> { [$"{Catalog}:Strategy"] = "RoundRobin" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Service 'catalog' has no endpoints", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Catalog}:Endpoints", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_GoodConfiguration_StartsAndServesThroughTheHostsFactory()
    {
        await using var backend = await TestBackend.StartAsync("only");
        using var host = BuildHost(new Dictionary<string, string?>
        {
            [$"{Catalog}:Strategy"] = "RoundRobin",
            [$"{Catalog}:Endpoints:0"] = backend.Address.ToString(),
        });

        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
            Assert.Equal("only", await client.GetStringAsync("/items"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task StartAsync_RouteToUnknownService_ThrowsNamingTheRuleAndTheTarget()
    {
        var settings = new Dictionary<string, string?>
        {
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.5:8080",
            [$"{Catalog}:Routes:0:Name"] = "canary",
            [$"{Catalog}:Routes:0:Priority"] = "10",
            [$"{Catalog}:Routes:0:Forward:Pools:0:Pool"] = "catalog",
            [$"{Catalog}:Routes:0:Forward:Pools:0:Weight"] = "90",
            [$"{Catalog}:Routes:0:Forward:Pools:1:Pool"] = "catalog-canry",
            [$"{Catalog}:Routes:0:Forward:Pools:1:Weight"] = "10",
            ["LoadBalancing:Services:catalog-canary:Endpoints:0"] = "http://10.0.0.9:8080",
        };
        using var host = BuildHost(settings);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(
            "Service 'catalog': route 'canary' forwards to 'catalog-canry' (LoadBalancing:Services:catalog:Routes:0:Forward), which is not a configured service; known services: catalog, catalog-canary.",
            ex.Message, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        // No defaults: no appsettings.json or environment variables from the machine running the tests.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLoadBalancedHttpClient("catalog");
        return builder.Build();
    }
}
