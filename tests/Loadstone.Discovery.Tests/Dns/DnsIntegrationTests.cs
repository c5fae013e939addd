using System.Globalization;
using Loadstone.Discovery.Dns;
using Loadstone.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Discovery.Tests.Dns;

/// <summary>
/// Requests through the handler to real Kestrel backends found in a real dnsmasq: SRV priorities and weights decide
/// the shares, and the pool follows the records through an outage and through zero instances.
/// </summary>
public sealed class DnsIntegrationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new();
    private readonly FakeLogCollector _logs = new();
    private TestBackend[] _backends = null!;
    private DnsmasqServer _dns = null!;

    public async Task InitializeAsync()
    {
        _backends = await TestBackend.StartManyAsync(4);
        _dns = await DnsmasqServer.StartAsync(Records((0, 10, 3), (1, 10, 1), (2, 20, 5)));
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task Configuration_SrvPrioritiesAndWeights_LowestPriorityGroupSharesByWeightWithTargetNamesAsHost()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Strategy"] = "WeightedRoundRobin",
            ["LoadBalancing:Services:catalog:Discovery:Dns:SrvName"] = "_http._tcp.catalog.test",
            ["LoadBalancing:Services:catalog:Discovery:Dns:NameServer"] = _dns.NameServer,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddDnsDiscovery();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        for (var i = 0; i < 400; i++)
        {
            await client.GetStringAsync("/items");
        }

        // Priority 10 holds b0 (weight 3) and b1 (weight 1); b2 (priority 20) is a backup and gets nothing.
        Assert.Equal([300, 100, 0, 0], _backends.Select(b => b.RequestCount));
        Assert.All(_backends[0].HostHeaders, h => Assert.Equal($"b0.test:{Port(0)}", h));
        Assert.All(_backends[1].HostHeaders, h => Assert.Equal($"b1.test:{Port(1)}", h));
    }

    [Fact]
    public async Task Code_NameServerDown_TrafficContinuesOnTheLastGoodSet()
    {
        await using var provider = BuildProvider(allowsEmpty: false);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        await client.GetStringAsync("/items");

        var source = Assert.Single(provider.GetRequiredService<DnsSourceFactory>().Created);
        await WaitScheduledAsync(source, 1);

        _dns.Stop();
        _clock.Advance(TimeSpan.FromSeconds(5));
        await WaitScheduledAsync(source, 2);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitScheduledAsync(source, 3);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1302);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1303);
        foreach (var backend in _backends)
        {
            backend.ResetCount();
        }

        for (var i = 0; i < 40; i++)
        {
            await client.GetStringAsync("/items");
        }

        Assert.Equal([30, 10, 0, 0], _backends.Select(b => b.RequestCount));
    }

    [Fact]
    public async Task Code_RecordsGoTwoToZeroToThree_PoolEmptiesThenServesTheThreeWithinOneRefreshInterval()
    {
        await using var provider = BuildProvider(allowsEmpty: true);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await client.GetStringAsync("/items");
        Assert.Equal(2, pool.Endpoints.Count);
        var source = Assert.Single(provider.GetRequiredService<DnsSourceFactory>().Created);
        await WaitScheduledAsync(source, 1);

        await _dns.RestartAsync([]);
        _clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => pool.Endpoints.Count == 0, "the pool to have no endpoints");
        await Assert.ThrowsAsync<NoAvailableEndpointException>(() => client.GetStringAsync("/items"));

        await _dns.RestartAsync(Records((1, 0, 1), (2, 0, 1), (3, 0, 1)));
        await WaitScheduledAsync(source, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), source.NextDelay);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => pool.Endpoints.Count == 3, "the pool to have the three new endpoints");
        foreach (var backend in _backends)
        {
            backend.ResetCount();
        }

        for (var i = 0; i < 30; i++)
        {
            await client.GetStringAsync("/items");
        }

        Assert.Equal([0, 10, 10, 10], _backends.Select(b => b.RequestCount));
    }

    private static Task WaitScheduledAsync(DnsEndpointSource source, long count) =>
        Eventually.TrueAsync(() => source.Scheduled >= count, $"lookup {count} done and the next one scheduled");

    private ServiceProvider BuildProvider(bool allowsEmpty)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_logs.CreateFactory());
        services.AddSingleton<TimeProvider>(_clock); // drives the source's refreshes (and the pool's timers)
        services.AddLoadBalancedService("catalog", o => o.Strategy = LoadBalancingStrategies.WeightedRoundRobin)
            .AddDnsSrvSource("_http._tcp.catalog.test", o =>
            {
                o.NameServer = _dns.NameServer;
                o.QueryTimeout = TimeSpan.FromMilliseconds(300);
                o.AllowsEmpty = allowsEmpty;
            });
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog")).AddLoadBalancing();
        return services.BuildServiceProvider();
    }

    private string Port(int backend) => _backends[backend].Port.ToString(CultureInfo.InvariantCulture);

    private string[] Records(params (int Backend, int Priority, int Weight)[] records) =>
    [
        .. records.Select(r => $"srv-host=_http._tcp.catalog.test,b{r.Backend}.test,{Port(r.Backend)},{r.Priority},{r.Weight}"),
        .. records.Select(r => $"host-record=b{r.Backend}.test,127.0.0.1"),
    ];
}
