using Loadstone.Tests.Endpoints;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Configuration;

/// <summary>A reload that does not validate is rejected and logged; the pool and the options monitor keep the last good options.</summary>
public sealed class ReloadValidationTests
{
    private const string Catalog = "LoadBalancing:Services:catalog";

    private static readonly Dictionary<string, string?> s_good = new()
    {
        [$"{Catalog}:Strategy"] = "RoundRobin",
        [$"{Catalog}:Endpoints:0"] = "http://10.0.0.1:8080",
        [$"{Catalog}:Endpoints:1"] = "http://10.0.0.2:8080",
    };

    [Fact]
    public void Reload_SeveralProblems_AllLoggedOnceLastGoodKeptEverywhereAndTheFixApplied()
    {
        var (provider, source, logs) = Build();
        using var _ = provider;
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        var monitor = provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>();
        var heard = new List<string>();
        using var subscription = monitor.OnChange((o, name) => heard.Add($"{name}:{o.Strategy}"));

        source.Provider.Replace(new Dictionary<string, string?>
        {
            [$"{Catalog}:Strategy"] = "Random",
            [$"{Catalog}:Endpoints:0:Address"] = "http://10.0.0.1:8080",
            [$"{Catalog}:Endpoints:0:Wieght"] = "3",
            [$"{Catalog}:Endpoints:1"] = "http://10.0.0.2:0",
            [$"{Catalog}:Zones:Mode"] = "Afinity",
        });

        var entry = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(new EventId(10, "ReloadRejected"), entry.Id);
        Assert.Equal(
            "Reloaded configuration of service 'catalog' was rejected; the current options are kept: "
            + "Service 'catalog': Zones:Mode (LoadBalancing:Services:catalog:Zones:Mode) is 'Afinity'; use one of CrossZone, PerZone, Affinity, ZoneAware. "
            + "Service 'catalog': Endpoints:0:Wieght (LoadBalancing:Services:catalog:Endpoints:0:Wieght) is not a known setting; an endpoint has Address, Zone, Weight, Name, Metadata. Did you mean Weight? "
            + "Service 'catalog': Endpoints:1 (LoadBalancing:Services:catalog:Endpoints:1): 'http://10.0.0.2:0' has port 0; a port must be between 1 and 65535.",
            entry.Message);
        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.2:8080"], pool.Endpoints.Select(e => e.Endpoint.Id));
        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.StrategyName);
        Assert.Equal(LoadBalancingStrategies.RoundRobin, monitor.Get("catalog").Strategy);
        Assert.Empty(heard);

        var fixedSettings = new Dictionary<string, string?>(s_good) { [$"{Catalog}:Strategy"] = "Random", [$"{Catalog}:Endpoints:2"] = "http://10.0.0.3:8080" };
        source.Provider.Replace(fixedSettings);

        Assert.Equal(["catalog:Random"], heard);
        Assert.Equal(3, pool.Endpoints.Count);
        Assert.Equal(LoadBalancingStrategies.Random, pool.StrategyName);
        Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Reload_CodeThatConfiguresTheServiceThrows_ReloadFailedLoggedAndCurrentOptionsKept()
    {
        var calls = 0;
        var (provider, source, logs) = Build(o =>
        {
            if (++calls > 1)
            {
                throw new InvalidOperationException("feature flag service unreachable");
            }
        });
        using var _ = provider;
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        source.Provider.Replace(new Dictionary<string, string?>(s_good) { [$"{Catalog}:Strategy"] = "Random" });

        var entry = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(new EventId(11, "ReloadFailed"), entry.Id);
        Assert.Equal("feature flag service unreachable", entry.Exception?.Message);
        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.StrategyName);
        Assert.Equal(LoadBalancingStrategies.RoundRobin, provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog").Strategy);
    }

    [Fact]
    public void Reload_CodeGivesAnInvalidArgument_RejectedNamingTheService()
    {
        var calls = 0;
        var (provider, source, logs) = Build(o =>
        {
            if (++calls > 1)
            {
                o.Endpoints.Add("http://10.0.0.9:70000");
            }
        });
        using var _ = provider;
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        source.Provider.Replace(new Dictionary<string, string?>(s_good));

        var entry = Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(
            "Reloaded configuration of service 'catalog' was rejected; the current options are kept: "
            + "Service 'catalog': the code that configures it threw ArgumentException: 'http://10.0.0.9:70000' has port 70000; a port must be between 1 and 65535.",
            entry.Message);
        Assert.Equal(2, pool.Endpoints.Count);
    }

    private static (ServiceProvider Provider, ReloadableConfigurationSource Source, FakeLogCollector Logs) Build(Action<LoadBalancingOptions>? configure = null)
    {
        var source = new ReloadableConfigurationSource(s_good);
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Add(source).Build());
        services.AddLogging(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddLoadBalancedHttpClient("catalog", configure);
        return (services.BuildServiceProvider(), source, logs);
    }
}
