using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Subsetting;

/// <summary>Subsetting as a pool option: each client's pool picks within its subset; the subsets of all clients cover the service evenly.</summary>
public sealed class PoolSubsettingTests
{
    private static ServicePool Client(int index, int clients, int endpoints, int subsetSize, FakeTimeProvider? time = null,
        IPeerCoordinateSource? peers = null)
    {
        var setup = Setup(time ?? TestClock.Create(), LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, endpoints).Select(Address).ToArray());
        setup.Options.Subsetting.Mode = SubsettingMode.Deterministic;
        setup.Options.Subsetting.SubsetSize = subsetSize;
        if (peers is null)
        {
            setup.Options.Subsetting.Coordinate(index, clients);
        }

        return new ServicePool("catalog", setup.Options, new ServicePoolDependencies
        {
            TimeProvider = setup.Time,
            Random = setup.Random,
            PeerCoordinates = peers,
        });
    }

    private static string Address(int i) => $"http://10.1.{i / 200}.{(i % 200) + 1}:8080";

    private static string[] Subset(ServicePool pool) =>
        pool.Snapshot.Candidates.Endpoints.ToArray().Select(s => s.Endpoint.Id).ToArray();

    // 60 endpoints, one in three in zone a, the rest in b; this client is 1 of 12 in zone a, 10 endpoints each.
    private static LoadBalancingOptions ZonedSubsetting(Action<LoadBalancingOptions>? configure = null)
    {
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
        for (var i = 0; i < 60; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(Address(i), i % 3 == 0 ? "a" : "b"));
        }

        options.Subsetting.Mode = SubsettingMode.Deterministic;
        options.Subsetting.SubsetSize = 10;
        options.Subsetting.Coordinate(1, 12);
        options.Zones.LocalZone = "a";
        configure?.Invoke(options);
        return options;
    }

    public static TheoryData<string> SubsettingChanges => ["SubsetSize", "ClientIndex", "ClientCount", "Mode", "MinAperture", "ZoneMode", "LocalZone"];

    private static (Action<LoadBalancingOptions>? Before, Action<LoadBalancingOptions> After) Change(string setting) => setting switch
    {
        "SubsetSize" => (null, o => o.Subsetting.SubsetSize = 15),
        "ClientIndex" => (null, o => o.Subsetting.Coordinate(2, 12)),
        "ClientCount" => (null, o => o.Subsetting.Coordinate(1, 7)),
        "Mode" => (null, o => o.Subsetting.Mode = SubsettingMode.Aperture),
        "MinAperture" => (o => o.Subsetting.Mode = SubsettingMode.Aperture,
            o => (o.Subsetting.Mode, o.Subsetting.MinAperture) = (SubsettingMode.Aperture, 30)),
        "ZoneMode" => (null, o => o.Subsetting.ZoneMode = SubsetZoneMode.LocalZone),
        "LocalZone" => (o => o.Subsetting.ZoneMode = SubsetZoneMode.LocalZone,
            o => (o.Subsetting.ZoneMode, o.Zones.LocalZone) = (SubsetZoneMode.LocalZone, "b")),
        _ => throw new ArgumentOutOfRangeException(nameof(setting)),
    };

    [Theory]
    [MemberData(nameof(SubsettingChanges))]
    public void TryApplyOptions_OneSubsettingSettingChanged_SubsetRebuiltAsANewPoolWouldHaveIt(string setting)
    {
        var (before, after) = Change(setting);
        using var pool = new ServicePool("catalog", ZonedSubsetting(before), new ServicePoolDependencies { TimeProvider = TestClock.Create() });
        using var fresh = new ServicePool("catalog", ZonedSubsetting(after), new ServicePoolDependencies { TimeProvider = TestClock.Create() });
        var old = Subset(pool);
        Assert.NotEqual(old.Order(), Subset(fresh).Order()); // the change matters on its own

        Assert.True(pool.TryApplyOptions(ZonedSubsetting(after)));

        Assert.Equal(Subset(fresh).Order(), Subset(pool).Order());
    }

    [Fact]
    public void PeerCoordinates_FollowedUntilDisposed_OneSubscriptionAcrossMovesAndReloads()
    {
        var peers = new TestPeerCoordinateSource(new PeerCoordinate(0, 12));
        var pool = Client(0, 12, 60, 10, peers: peers);
        var first = Subset(pool);
        Assert.Equal(1, peers.Subscribers);

        // A move of the coordinate re-subsets the pool at once; the pool still follows the source once.
        peers.Move(new PeerCoordinate(5, 12));
        Assert.NotEqual(first, Subset(pool));
        Assert.Equal(1, peers.Subscribers);

        // A reload that keeps subsetting replaces the subscription (not adds one); one that turns it off drops it.
        var reload = Setup(TestClock.Create(), LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, 60).Select(Address).ToArray());
        reload.Options.Subsetting.Mode = SubsettingMode.Deterministic;
        reload.Options.Subsetting.SubsetSize = 10;
        Assert.True(pool.TryApplyOptions(reload.Options));
        Assert.Equal(1, peers.Subscribers);
        var off = Setup(TestClock.Create(), LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, 60).Select(Address).ToArray());
        Assert.True(pool.TryApplyOptions(off.Options));
        Assert.Equal(0, peers.Subscribers);
        Assert.True(pool.TryApplyOptions(reload.Options));
        Assert.Equal(1, peers.Subscribers);

        // Disposed, the pool lets the source go: a later move reaches nothing.
        pool.Dispose();
        Assert.Equal(0, peers.Subscribers);
        peers.Move(new PeerCoordinate(7, 12));
    }

    [Fact]
    public void Snapshot_TwelveClientsSixtyEndpoints_EachPicksWithinTenAndEveryEndpointHasTwoClients()
    {
        var pools = Enumerable.Range(0, 12).Select(i => Client(i, 12, 60, 10)).ToArray();
        try
        {
            var clientsPerEndpoint = new Dictionary<string, int>();
            foreach (var pool in pools)
            {
                var subset = Subset(pool);
                Assert.Equal(10, subset.Length);
                foreach (var id in subset)
                {
                    clientsPerEndpoint[id] = clientsPerEndpoint.GetValueOrDefault(id) + 1;
                }

                // Requests go only to the subset.
                for (var n = 0; n < 30; n++)
                {
                    var lease = pool.Acquire();
                    Assert.Contains(lease.Endpoint.Id, subset);
                    lease.Complete(RequestOutcome.Success);
                }
            }

            Assert.Equal(60, clientsPerEndpoint.Count);
            Assert.All(clientsPerEndpoint.Values, count => Assert.Equal(2, count));
        }
        finally
        {
            foreach (var pool in pools)
            {
                pool.Dispose();
            }
        }
    }

    [Fact]
    public async Task Snapshot_SubsetMemberEjected_ReplacedFromOutsideWhileOutThenHandedBack()
    {
        var time = TestClock.Create();
        using var pool = Client(3, 12, 60, 10, time);
        await pool.InitializeAsync();
        var before = Subset(pool);
        var victim = pool.Snapshot.Candidates[0];

        CompleteOn(pool, victim, RequestOutcome.ServerError, 5); // ejected for 30 s

        var during = Subset(pool);
        Assert.Equal(10, during.Length);
        Assert.DoesNotContain(victim.Endpoint.Id, during);
        Assert.Equal(9, during.Intersect(before).Count()); // one stand-in from outside the window

        time.Advance(TimeSpan.FromSeconds(31)); // the ejection ends
        Assert.Equal(before.Order(), Subset(pool).Order());
    }

    [Fact]
    public async Task Snapshot_PeerCoordinateChanges_SubsetFollowsAtOnce()
    {
        var peers = new MovablePeers(new PeerCoordinate(0, 6));
        using var pool = Client(0, 0, 60, 10, peers: peers);
        await pool.InitializeAsync();
        var first = Subset(pool);

        peers.MoveTo(new PeerCoordinate(3, 6));

        var second = Subset(pool);
        Assert.Equal(10, second.Length);
        Assert.Empty(first.Intersect(second)); // six clients of 60 endpoints by 10: disjoint windows
    }

    [Fact]
    public void Configuration_SubsettingSection_BindsAndAMissingCoordinateIsReported()
    {
        var ok = Bind(new()
        {
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://10.0.0.1:8080",
            ["LoadBalancing:Services:catalog:Subsetting:Mode"] = "Aperture",
            ["LoadBalancing:Services:catalog:Subsetting:MinAperture"] = "4",
            ["LoadBalancing:Services:catalog:Subsetting:ClientIndex"] = "2",
            ["LoadBalancing:Services:catalog:Subsetting:ClientCount"] = "8",
        });
        Assert.Equal((SubsettingMode.Aperture, 4, 2, 8), (ok.Subsetting.Mode, ok.Subsetting.MinAperture, ok.Subsetting.ClientIndex, ok.Subsetting.ClientCount));

        var error = Assert.Throws<OptionsValidationException>(() => Bind(new()
        {
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://10.0.0.1:8080",
            ["LoadBalancing:Services:catalog:Subsetting:Mode"] = "Deterministic",
        }));
        Assert.Contains("Subsetting:Mode (LoadBalancing:Services:catalog:Subsetting:Mode) is Deterministic but this client's coordinate is not set", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Twelve clients (each its own pool and connection pool) over sixty real Kestrel backends that count the connections
    /// they accept: with deterministic subsets of ten, every backend gets exactly 12 × 10 / 60 = 2 connections.
    /// </summary>
    [Fact]
    public async Task SendAsync_TwelveClientsSixtyKestrelBackends_EveryBackendCountsTwoConnections()
    {
        var connections = new int[60];
        var backends = new TestBackend[60];
        var clients = new List<(ServicePool Pool, HttpClient Client)>();
        try
        {
            for (var b = 0; b < backends.Length; b++)
            {
                var slot = b;
                backends[b] = await TestBackend.StartAsync($"k{b}", l => l.Options.Listen(IPAddress.Loopback, 0, o => o.Use(next => async context =>
                {
                    Interlocked.Increment(ref connections[slot]);
                    await next(context);
                })));
            }

            for (var c = 0; c < 12; c++)
            {
                var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
                foreach (var backend in backends)
                {
                    options.Endpoints.Add(backend.Address.ToString());
                }

                options.Subsetting.Mode = SubsettingMode.Deterministic;
                options.Subsetting.SubsetSize = 10;
                options.Subsetting.Coordinate(c, 12);
                var pool = new ServicePool("catalog", options);
                var transport = new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
                clients.Add((pool, new HttpClient(new LoadBalancingHandler(pool, transport))));
            }

            // Sequential requests per client: round robin visits each of its ten endpoints three times over one connection each.
            await Task.WhenAll(clients.Select(async c =>
            {
                for (var n = 0; n < 30; n++)
                {
                    Assert.StartsWith("k", await c.Client.GetStringAsync("http://catalog/items"), StringComparison.Ordinal);
                }
            }));

            Assert.All(connections, count => Assert.Equal(2, count));
            Assert.Equal(360, backends.Sum(b => b.RequestCount));
        }
        finally
        {
            foreach (var (pool, client) in clients)
            {
                client.Dispose();
                pool.Dispose();
            }

            await StopAll(backends);
        }
    }

    private static LoadBalancingOptions Bind(Dictionary<string, string?> values)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLoadBalancedService("catalog");
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog");
    }

    private sealed class MovablePeers(PeerCoordinate initial) : IPeerCoordinateSource
    {
        private CancellationTokenSource _changed = new();

        public string Name => "test:movable";

        public PeerCoordinate Current { get; private set; } = initial;

        public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void MoveTo(PeerCoordinate coordinate)
        {
            Current = coordinate;
            var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            previous.Cancel();
        }
    }
}
