using static Loadstone.Tests.Connections.ConnectionKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>Zones and slow start apply to connections as they do to requests: the pick path is the pool's own.</summary>
public sealed class ConnectionStrategyTests
{
    [Fact]
    public async Task ZoneAffinity_ConnectionsStayInTheLocalZoneAndSpillOverWhenItRefuses()
    {
        await using var local = TcpTestServer.Echo();
        await using var remote = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.LeastRequests, [], o =>
        {
            o.Endpoints.Add(local.Endpoint, zone: "a");
            o.Endpoints.Add(remote.Endpoint, zone: "b");
            o.Zones.Mode = ZoneRoutingMode.Affinity;
            o.Zones.LocalZone = "a";
        });
        using var balancer = new ConnectionBalancer(pool);
        var open = new List<LoadBalancedConnection>();

        // Least connections alone would alternate; full affinity keeps every connection in zone a.
        for (var i = 0; i < 6; i++)
        {
            open.Add(await balancer.ConnectAsync());
        }

        Assert.All(open, c => Assert.Equal("a", c.Endpoint.Zone));
        await local.StopAsync();

        await using var spilled = await balancer.ConnectAsync();

        Assert.Equal("b", spilled.Endpoint.Zone);
        Assert.Equal(2, spilled.ConnectAttempts);
        foreach (var connection in open)
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task SlowStart_NewEndpointRampsUpItsShareOfNewConnections()
    {
        var time = TestClock.Create();
        await using var a = TcpTestServer.Echo();
        await using var b = TcpTestServer.Echo();
        await using var c = TcpTestServer.Echo();
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(a.Endpoint), new LoadBalancedEndpoint(b.Endpoint)]);
        var setup = new PoolSetup { Options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.LeastRequests }, Time = time, Random = new Random(3) };
        var options = setup.Options;
        options.SlowStart.Window = TimeSpan.FromSeconds(60);
        setup.Sources.Add(source);
        using var pool = setup.Create("echo");
        await pool.InitializeAsync();
        using var balancer = new ConnectionBalancer(pool);

        source.Update([new LoadBalancedEndpoint(a.Endpoint), new LoadBalancedEndpoint(b.Endpoint), new LoadBalancedEndpoint(c.Endpoint)]);
        WaitFor(() => pool.Endpoints.Count == 3, "the new endpoint");
        var fresh = new LoadBalancedEndpoint(c.Endpoint);
        Assert.Equal(0.1, pool.GetStatus().Endpoints[2].WeightFactor, 3);

        var open = new List<LoadBalancedConnection>();
        for (var i = 0; i < 20; i++)
        {
            open.Add(await balancer.ConnectAsync());
        }

        // At 10 % weight it is the least loaded per unit of weight only once the others hold ten connections each.
        Assert.InRange(open.Count(x => x.Endpoint.Equals(fresh)), 0, 2);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, pool.GetStatus().Endpoints[2].WeightFactor);
        var later = new List<LoadBalancedConnection>();
        for (var i = 0; i < 12; i++)
        {
            later.Add(await balancer.ConnectAsync());
        }

        // At full weight it is the emptiest, and takes new connections until it is level with the others.
        Assert.InRange(later.Count(x => x.Endpoint.Equals(fresh)), 8, 12);
        foreach (var connection in open.Concat(later))
        {
            await connection.DisposeAsync();
        }
    }
}
