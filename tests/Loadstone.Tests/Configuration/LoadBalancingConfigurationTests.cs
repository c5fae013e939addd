using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Configuration;

/// <summary>Reading a service's options from <c>LoadBalancing:Services:{service}</c>.</summary>
public sealed class LoadBalancingConfigurationTests
{
    private const string Catalog = "LoadBalancing:Services:catalog";

    [Fact]
    public void Configure_StringAndObjectEndpoints_ReadInOrderWithZoneWeightNameAndMetadata()
    {
        var options = Read(new()
        {
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
            [$"{Catalog}:Endpoints:1:Address"] = "https://10.0.0.2:8443/api",
            [$"{Catalog}:Endpoints:1:Zone"] = "eu-west-1a",
            [$"{Catalog}:Endpoints:1:Weight"] = "5",
            [$"{Catalog}:Endpoints:1:Name"] = "admin",
            [$"{Catalog}:Endpoints:1:Metadata:version"] = "2.1",
        });

        Assert.Empty(options.ConfigurationProblems);
        Assert.Collection(
            options.Endpoints,
            e =>
            {
                Assert.Equal("http://10.0.0.1:8080", e.BaseAddress);
                Assert.Equal((null, LoadBalancedEndpoint.DefaultWeight, (string?)null), (e.Zone, e.Weight, e.Name));
            },
            e =>
            {
                Assert.Equal("https://10.0.0.2:8443/api", e.BaseAddress);
                Assert.Equal(("eu-west-1a", 5, "admin"), (e.Zone, e.Weight, e.Name));
                Assert.Equal("2.1", e.Metadata["version"]);
            });
    }

    [Fact]
    public void Configure_Scalars_BoundCaseInsensitively()
    {
        var options = Read(new()
        {
            [$"{Catalog}:strategy"] = "peakewma",
            [$"{Catalog}:UseServiceNameAsHost"] = "true",
            [$"{Catalog}:LatencyDecayTime"] = "00:00:05",
            [$"{Catalog}:InitialLatency"] = "00:00:00.050",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1",
        });

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal("peakewma", options.Strategy);
        Assert.True(options.UseServiceNameAsHost);
        Assert.Equal(TimeSpan.FromSeconds(5), options.LatencyDecayTime);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.InitialLatency);
    }

    [Theory]
    [InlineData("Endpoints:0:Weight", "heavy", "Service 'catalog': Endpoints:0:Weight (LoadBalancing:Services:catalog:Endpoints:0:Weight) is 'heavy'; it must be a whole number from 0 to 10000.")]
    [InlineData("Endpoints:0:Weight", "10001", "Service 'catalog': Endpoints:0:Weight (LoadBalancing:Services:catalog:Endpoints:0:Weight) is 10001; it must be between 0 and 10000.")]
    [InlineData("Endpoints:0:Zone", "eu-west-1a", "Service 'catalog': Endpoints:0 (LoadBalancing:Services:catalog:Endpoints:0) has no Address; write either the address itself or an object with Address, Zone, Weight, Name and Metadata.")]
    [InlineData("Endpoints:0", "10.0.0.1:8080", "Service 'catalog': Endpoints:0 (LoadBalancing:Services:catalog:Endpoints:0): '10.0.0.1:8080' has no scheme; write it as http://10.0.0.1:8080 or https://10.0.0.1:8080.")]
    [InlineData("Endpoints:0:Address", "ftp://10.0.0.1", "Service 'catalog': Endpoints:0:Address (LoadBalancing:Services:catalog:Endpoints:0:Address): 'ftp://10.0.0.1' has scheme 'ftp'; only http and https are supported.")]
    public void Configure_BadEndpoint_ProblemNamesServiceSettingAndKey(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { [$"{Catalog}:{key}"] = value };
        if (key is "Endpoints:0:Weight")
        {
            settings[$"{Catalog}:Endpoints:0:Address"] = "http://10.0.0.1";
        }

        var options = Read(settings);

        Assert.Equal([expected], options.ConfigurationProblems);
    }

    [Theory]
    [InlineData("Endpoints:0", "http://10.0.0.1:0")]
    [InlineData("Endpoints:0:Weight", "heavy")]
    [InlineData("Endpoints:0:Wieght", "2")]
    public void OptionsFactory_OnlyEndpointRejected_ReportedOnceWithoutAlsoSayingThereAreNoEndpoints(string key, string value)
    {
        using var provider = Provider(new()
        {
            [$"{Catalog}:Endpoints:0:Address"] = "http://10.0.0.1:8080",
            [$"{Catalog}:{key}"] = value,
        });

        var ex = Assert.Throws<OptionsValidationException>(() =>
            provider.GetRequiredService<IOptionsFactory<LoadBalancingOptions>>().Create("catalog"));

        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith($"Service 'catalog': {key} ({Catalog}:{key})", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Configure_MisspelledKey_ProblemNamesTheKeyAndTheNearestSetting()
    {
        var options = Read(new()
        {
            [$"{Catalog}:Stratgy"] = "RoundRobin",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1",
        });

        var problem = Assert.Single(options.ConfigurationProblems);
        Assert.StartsWith("Service 'catalog': Stratgy (LoadBalancing:Services:catalog:Stratgy) is not a known setting; a service has Endpoints, Strategy,", problem, StringComparison.Ordinal);
        Assert.EndsWith(", Discovery. Did you mean Strategy?", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsFactory_ServiceNameIsCaseInsensitiveInConfiguration()
    {
        using var provider = Provider(new()
        {
            ["LoadBalancing:Services:Catalog:Strategy"] = "RoundRobin",
            ["LoadBalancing:Services:Catalog:Endpoints:0"] = "http://10.0.0.1",
        });

        var options = provider.GetRequiredService<IOptionsFactory<LoadBalancingOptions>>().Create("catalog");

        Assert.Equal("RoundRobin", options.Strategy);
        Assert.Single(options.Endpoints);
    }

    [Fact]
    public void OptionsFactory_CodeConfigureRunsAfterConfiguration()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(Configuration(new()
        {
            [$"{Catalog}:Strategy"] = "Random",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1",
        }));
        services.AddLoadBalancedHttpClient("catalog", o =>
        {
            o.Strategy = LoadBalancingStrategies.LeastRequests;
            o.Endpoints.Add("http://10.0.0.2");
        });
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog");

        Assert.Equal(LoadBalancingStrategies.LeastRequests, options.Strategy);
        Assert.Equal(["http://10.0.0.1", "http://10.0.0.2"], options.Endpoints.Select(e => e.BaseAddress));
    }

    [Fact]
    public void OptionsFactory_InvalidConfiguration_ThrowsWithEveryProblem()
    {
        using var provider = Provider(new()
        {
            [$"{Catalog}:Strategy"] = "Fastest",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1",
            [$"{Catalog}:Endpoints:1"] = "http://10.0.0.1",
        });

        var ex = Assert.Throws<OptionsValidationException>(() =>
            provider.GetRequiredService<IOptionsFactory<LoadBalancingOptions>>().Create("catalog"));

        Assert.Equal(2, ex.Failures.Count());
        Assert.Contains("Service 'catalog': Strategy 'Fastest' (LoadBalancing:Services:catalog:Strategy) is not a known strategy", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Service 'catalog' lists endpoint 'http://10.0.0.1' more than once.", ex.Message, StringComparison.Ordinal);
    }

    private static LoadBalancingOptions Read(Dictionary<string, string?> settings)
    {
        var options = new LoadBalancingOptions();
        new LoadBalancingConfiguration(Configuration(settings)).Configure("catalog", options);
        return options;
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(Configuration(settings));
        services.AddLoadBalancedHttpClient("catalog");
        return services.BuildServiceProvider();
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
