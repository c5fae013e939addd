using Loadstone.Tests.Http;
using Loadstone.Tests.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Pools;

/// <summary>
/// The registry's own contract: the pools it is given (distinct names, none null), the services it knows (registered,
/// or configured under either schema), the error for an unknown service, and what its disposal lets go of.
/// </summary>
public sealed class ServicePoolRegistryLifecycleTests
{
    private const string Catalog = "LoadBalancing:Services:catalog";

    private static ServicePool Pool(string name, params string[] endpoints)
    {
        var options = new LoadBalancingOptions();
        foreach (var endpoint in endpoints.Length == 0 ? ["http://10.0.0.1:8080"] : endpoints)
        {
            options.Endpoints.Add(endpoint);
        }

        return new ServicePool(name, options, new ServicePoolDependencies { Random = new Random(1) });
    }

    [Fact]
    public void Constructor_NullPools_ArgumentNullExceptionNamingPools()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new ServicePoolRegistry((IEnumerable<ServicePool>)null!));

        Assert.Equal("pools", error.ParamName);
    }

    [Fact]
    public void Constructor_TwoPoolsWithTheSameNameInAnyCase_ArgumentExceptionNamingTheDuplicate()
    {
        using var first = Pool("catalog");
        using var second = Pool("Catalog");

        var error = Assert.Throws<ArgumentException>(() => new ServicePoolRegistry(first, second));

        Assert.Equal("pools", error.ParamName);
        Assert.Equal("Two pools are named 'Catalog'. (Parameter 'pools')", error.Message);
    }

    [Fact]
    public void GetPool_UnknownService_KeyNotFoundExceptionNamingItAndTheKnownServices()
    {
        using var registry = new ServicePoolRegistry(Pool("catalog"), Pool("beta"));

        var error = Assert.Throws<KeyNotFoundException>(() => registry.GetPool("nowhere"));

        Assert.Equal("No load-balanced service named 'nowhere' is configured; known services: catalog, beta.", error.Message);
    }

    [Fact]
    public void Dispose_RegistryOfPools_EveryPoolsGaugesStopReporting()
    {
        const string First = "registry-dispose-first";
        const string Second = "registry-dispose-second";
        using var firstMetrics = new LoadstoneMetricCollector(First);
        using var secondMetrics = new LoadstoneMetricCollector(Second);
        var registry = new ServicePoolRegistry(Pool(First, "http://10.0.0.1:8080", "http://10.0.0.2:8080"), Pool(Second));
        Assert.Equal(2, Assert.Single(firstMetrics.Observe("loadstone.pool.endpoints")).Value);
        Assert.Equal(1, Assert.Single(secondMetrics.Observe("loadstone.pool.endpoints")).Value);

        registry.Dispose();

        Assert.Empty(firstMetrics.Observe("loadstone.pool.endpoints"));
        Assert.Empty(secondMetrics.Observe("loadstone.pool.endpoints"));
    }

    [Fact]
    public void Dispose_Twice_SecondCallIsHarmless()
    {
        const string Service = "registry-dispose-twice";
        using var metrics = new LoadstoneMetricCollector(Service);
        var registry = new ServicePoolRegistry(Pool(Service));

        registry.Dispose();
        var again = Record.Exception(registry.Dispose);

        Assert.Null(again);
        Assert.Empty(metrics.Observe("loadstone.pool.endpoints"));
    }

    [Fact]
    public void ServiceNames_ServiceOnlyUnderTheServiceDiscoverySchema_KnownAndRoutable()
    {
        // Nothing registers "inventory" in code and there is no LoadBalancing section for it: Services:inventory alone.
        var (provider, _) = Build(new Dictionary<string, string?> { ["Services:inventory:http:0"] = "http://10.0.0.7:8080" });
        using var _ = provider;
        var registry = provider.GetRequiredService<ServicePoolRegistry>();

        Assert.Contains("inventory", registry.ServiceNames);
        Assert.Equal(["http://10.0.0.7:8080"], registry.GetPool("inventory").Endpoints.Select(e => e.Endpoint.Id));
    }

    [Fact]
    public void Registry_ContainerWithoutLogging_ServesConfiguredServices()
    {
        var (provider, _) = Build(new Dictionary<string, string?> { [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080" });
        using var _ = provider;
        Assert.Null(provider.GetService<ILoggerFactory>());
        var registry = provider.GetRequiredService<ServicePoolRegistry>();

        var lease = registry.GetPool("catalog").Acquire();
        lease.Complete(RequestOutcome.Success);

        Assert.Equal("http://10.0.0.1:8080", lease.Endpoint.Id);
    }

    [Fact]
    public void Dispose_ConfigurationReloadAddsAServiceAfterwards_RegistryDoesNotLearnIt()
    {
        var (provider, source) = Build(new Dictionary<string, string?> { [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080" });
        using var _ = provider;
        var registry = provider.GetRequiredService<ServicePoolRegistry>();
        var version = registry.Version;

        registry.Dispose();
        var reload = Record.Exception(() => source.Provider.Replace(new Dictionary<string, string?>
        {
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
            ["LoadBalancing:Services:beta:Endpoints:0"] = "http://10.0.0.2:8080",
        }));

        Assert.Null(reload);
        Assert.Equal(["catalog"], registry.ServiceNames);
        Assert.Equal(version, registry.Version);
        Assert.False(registry.TryGetPool("beta", out var _));
    }

    private static Dictionary<string, string?> OneEndpointRoundRobin() => new()
    {
        [$"{Catalog}:Strategy"] = "RoundRobin",
        [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
    };

    private static Dictionary<string, string?> TwoEndpointsRandom() => new()
    {
        [$"{Catalog}:Strategy"] = "Random",
        [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
        [$"{Catalog}:Endpoints:1"] = "http://10.0.0.2:8080",
    };

    [Fact]
    public void Dispose_ConfigurationReloadChangesACreatedPoolAfterwards_PoolKeepsItsOptions()
    {
        var (provider, source) = Build(OneEndpointRoundRobin());
        using var _ = provider;
        var registry = provider.GetRequiredService<ServicePoolRegistry>();
        var pool = registry.GetPool("catalog");

        registry.Dispose();
        var reload = Record.Exception(() => source.Provider.Replace(TwoEndpointsRandom()));

        Assert.Null(reload);
        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.StrategyName);
        Assert.Equal(["http://10.0.0.1:8080"], pool.Endpoints.Select(e => e.Endpoint.Id));
    }

    [Fact]
    public void Reload_BeforeDispose_ReachesThePoolAndAddsTheService()
    {
        // The control for the two tests above: the same reloads, without Dispose, do change the registry and the pool.
        var (provider, source) = Build(OneEndpointRoundRobin());
        using var _ = provider;
        var registry = provider.GetRequiredService<ServicePoolRegistry>();
        var pool = registry.GetPool("catalog");

        source.Provider.Replace(new Dictionary<string, string?>
        {
            [$"{Catalog}:Strategy"] = "Random",
            [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
            [$"{Catalog}:Endpoints:1"] = "http://10.0.0.2:8080",
            ["LoadBalancing:Services:beta:Endpoints:0"] = "http://10.0.0.3:8080",
        });

        Assert.Equal(LoadBalancingStrategies.Random, pool.StrategyName);
        Assert.Equal(2, pool.Endpoints.Count);
        Assert.True(registry.TryGetPool("beta", out var _));
    }

    [Fact]
    public void Reload_Rejected_LoggedUnderTheRegistryCategory()
    {
        // The registry's services log reload problems under "Loadstone.ServicePoolRegistry" (written by its options
        // monitor), the category an application filters on.
        var source = new ReloadableConfigurationSource(new Dictionary<string, string?> { [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080" });
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Add(source).Build());
        services.AddLogging(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddLoadBalancing();
        using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        source.Provider.Replace(new Dictionary<string, string?> { [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:0" });

        var entry = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal("ReloadRejected", entry.Id.Name);
        Assert.Equal("Loadstone.ServicePoolRegistry", entry.Category);
        Assert.Equal(["http://10.0.0.1:8080"], pool.Endpoints.Select(e => e.Endpoint.Id));
    }

    /// <summary>A container with the balancer and reloadable configuration only: no logging, nothing registered in code.</summary>
    private static (ServiceProvider Provider, ReloadableConfigurationSource Source) Build(Dictionary<string, string?> settings)
    {
        var source = new ReloadableConfigurationSource(settings);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Add(source).Build());
        services.AddLoadBalancing();
        return (services.BuildServiceProvider(), source);
    }
}
