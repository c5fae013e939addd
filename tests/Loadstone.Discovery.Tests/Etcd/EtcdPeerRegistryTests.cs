using System.Diagnostics;
using Etcdserverpb;
using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loadstone.Discovery.Tests.Etcd;

/// <summary>
/// The etcd peer registry against a real etcd: clients take the lowest free slot, keep it while others come and go,
/// free it when they leave or their lease expires, and the count is the highest slot in use + 1.
/// </summary>
public sealed class EtcdPeerRegistryTests : IAsyncLifetime
{
    private const int LeaseTtlSeconds = 2;
    private readonly string _prefix = $"/peers/catalog-{Guid.NewGuid():N}/";
    private readonly List<EtcdPeerRegistry> _registries = [];
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var registry in _registries)
        {
            await registry.DisposeAsync();
        }

        await _etcd.DisposeAsync();
    }

    private EtcdPeerRegistry New()
    {
        var options = new EtcdPeerRegistryOptions { Prefix = _prefix, LeaseTtl = TimeSpan.FromSeconds(LeaseTtlSeconds), RetryDelay = TimeSpan.FromMilliseconds(100) };
        options.Endpoints.Add(_etcd.ClientUrl);
        var registry = new EtcdPeerRegistry("catalog", options);
        _registries.Add(registry);
        return registry;
    }

    private async Task<EtcdPeerRegistry> JoinAsync()
    {
        var registry = New();
        await registry.JoinAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return registry;
    }

    private static Task UntilAsync(EtcdPeerRegistry registry, PeerCoordinate expected) =>
        Eventually.TrueAsync(() => registry.Current == expected, $"{registry.Name} to be {expected} (it is {registry.Current})");

    [Fact]
    public async Task Join_ThreeClients_TakeTheLowestFreeSlots_AndCountThree()
    {
        var a = await JoinAsync();
        var b = await JoinAsync();
        var c = await JoinAsync();

        await UntilAsync(a, new PeerCoordinate(0, 3));
        await UntilAsync(b, new PeerCoordinate(1, 3));
        await UntilAsync(c, new PeerCoordinate(2, 3));
        Assert.Equal(3, (await _etcd.KeysAsync(_prefix)).Length);
    }

    [Fact]
    public async Task Leave_ClientInTheMiddle_OthersKeepTheirCoordinates_AndTheNextToJoinTakesTheFreedSlot()
    {
        var a = await JoinAsync();
        var b = await JoinAsync();
        var c = await JoinAsync();
        await UntilAsync(a, new PeerCoordinate(0, 3));
        await UntilAsync(c, new PeerCoordinate(2, 3));
        var changes = 0;
        using var watch = Microsoft.Extensions.Primitives.ChangeToken.OnChange(a.GetChangeToken, () => Interlocked.Increment(ref changes));

        await b.DisposeAsync();
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix)).Length == 2, "b's slot to be freed");
        var d = await JoinAsync();

        await UntilAsync(d, new PeerCoordinate(1, 3));
        Assert.Equal(new PeerCoordinate(0, 3), a.Current);
        Assert.Equal(new PeerCoordinate(2, 3), c.Current);
        Assert.Equal(0, Volatile.Read(ref changes)); // nobody was renumbered
    }

    [Fact]
    public async Task Leave_HighestClient_TheCountShrinks_TheOthersKeepTheirIndex()
    {
        var a = await JoinAsync();
        var b = await JoinAsync();
        var c = await JoinAsync();
        await UntilAsync(c, new PeerCoordinate(2, 3));

        await c.DisposeAsync();

        await UntilAsync(a, new PeerCoordinate(0, 2));
        await UntilAsync(b, new PeerCoordinate(1, 2));
    }

    [Fact]
    public async Task Crash_TheLeaseExpires_ItsSlotIsFreedWithinTheTtlPlusOneSecond()
    {
        var a = await JoinAsync();

        // A client that crashed: its slot key is held by a lease nobody keeps alive any more.
        var lease = await _etcd.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = LeaseTtlSeconds });
        await _etcd.PutAsync(_prefix + "0000001", "crashed", lease.ID);
        var crashedAt = Stopwatch.StartNew();
        await UntilAsync(a, new PeerCoordinate(0, 2));

        await UntilAsync(a, new PeerCoordinate(0, 1));
        Assert.True(crashedAt.Elapsed <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"the slot was freed {crashedAt.Elapsed} after the crash");
        var b = await JoinAsync();
        await UntilAsync(b, new PeerCoordinate(1, 2));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingEverySetting()
    {
        var options = new EtcdPeerRegistryOptions { LeaseTtl = TimeSpan.FromMilliseconds(1500) };
        var error = Assert.Throws<OptionsValidationException>(() => new EtcdPeerRegistry("catalog", options));

        Assert.Contains("Service 'catalog': etcd peer registry Endpoints is empty; list the etcd cluster's client URLs, e.g. http://10.0.0.10:2379.", error.Failures);
        Assert.Contains("Service 'catalog': etcd peer registry Prefix is missing; set the key prefix under which the service's clients register, e.g. /peers/catalog/.", error.Failures);
        Assert.Contains("Service 'catalog': etcd peer registry LeaseTtl is 00:00:01.5000000; it must be a whole number of seconds between 00:00:02 and 01:00:00.", error.Failures);
    }

    [Fact]
    public async Task UseEtcdPeerCoordinates_TwoClientHosts_EachPoolBalancesOverItsOwnDisjointSubset()
    {
        var endpoints = Enumerable.Range(1, 4).Select(i => $"http://10.0.0.{i}:8080").ToArray();
        IHost Client()
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddLoadBalancedService("catalog", o =>
            {
                foreach (var endpoint in endpoints)
                {
                    o.Endpoints.Add(endpoint);
                }

                o.Strategy = LoadBalancingStrategies.RoundRobin;
                o.Subsetting.Mode = SubsettingMode.Deterministic;
                o.Subsetting.SubsetSize = 2;
            }).UseEtcdPeerCoordinates(_prefix, o => o.Endpoints.Add(_etcd.ClientUrl));
            return builder.Build();
        }

        using var first = Client();
        using var second = Client();
        await first.StartAsync();
        await second.StartAsync();
        var pools = new[] { first, second }.Select(h => h.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog")).ToArray();
        await Eventually.TrueAsync(() => pools.All(p => Picked(p).Count == 2) && Picked(pools[0]).Overlaps(Picked(pools[1])) == false,
            "each pool to pick from 2 endpoints, the two subsets apart");

        Assert.Equal(endpoints.Select(e => new LoadBalancedEndpoint(e).Id).Order(), Picked(pools[0]).Concat(Picked(pools[1])).Order());
        Assert.Equal(new[] { 0, 1 }, new[] { first, second }.Select(h => h.Services.GetRequiredKeyedService<EtcdPeerRegistry>("catalog").Current.Index).Order());
        await second.StopAsync();
        Assert.Single(await _etcd.KeysAsync(_prefix)); // the second client's slot was freed at its stop
        await first.StopAsync();
        Assert.Empty(await _etcd.KeysAsync(_prefix));

        static HashSet<string> Picked(ServicePool pool)
        {
            var picked = new HashSet<string>();
            for (var i = 0; i < 8; i++)
            {
                var lease = pool.Acquire();
                picked.Add(lease.Endpoint.Id);
                lease.Complete(RequestOutcome.Success);
            }

            return picked;
        }
    }
}
