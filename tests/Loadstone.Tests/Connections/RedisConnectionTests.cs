using Loadstone.ConnectionsSample;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Tests.Connections.ConnectionKit;

namespace Loadstone.Tests.Connections;

/// <summary>
/// Connection balancing with a real non-HTTP server: three <c>redis-server</c> processes on 127.0.0.1 and a RESP client
/// (the sample's) speaking over leased connections. Needs the Debian package redis-server; without it these tests fail.
/// </summary>
public sealed class RedisConnectionTests : IAsyncLifetime
{
    private RedisServers _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServers.StartAsync(3);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task LeastConnections_ByDefault_SpreadsOpenConnectionsWithinOneAndRefillsTheEmptiest()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedConnections("cache", o =>
        {
            foreach (var endpoint in _redis.Endpoints)
            {
                o.Endpoints.Add(endpoint);
            }
        });
        await using var provider = services.BuildServiceProvider();
        var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("cache");
        Assert.Equal(LoadBalancingStrategies.LeastRequests, balancer.Pool.StrategyName);

        var open = new List<LoadBalancedConnection>();
        for (var i = 0; i < 10; i++)
        {
            open.Add(await OpenAndRoundTripAsync(balancer, $"key-{i}"));
        }

        var counts = await _redis.ConnectedClientsAsync();
        Assert.Equal(10, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1, $"connections per instance: {string.Join(", ", counts)}");
        Assert.Equal(counts, _redis.Endpoints.Select(e => State(balancer.Pool, e).ActiveRequests));

        // Close every connection of the busiest instance: the next connects go there until it is level again.
        var busiest = Array.IndexOf(counts, counts.Max());
        var emptied = new LoadBalancedEndpoint(_redis.Endpoints[busiest]);
        foreach (var connection in open.Where(c => c.Endpoint.Equals(emptied)).ToList())
        {
            await connection.DisposeAsync();
            open.Remove(connection);
        }

        var refill = counts.Max() - 1;
        for (var i = 0; i < refill; i++)
        {
            var connection = await OpenAndRoundTripAsync(balancer, $"refill-{i}");
            Assert.Equal(emptied, connection.Endpoint);
            open.Add(connection);
        }

        counts = await _redis.ConnectedClientsAsync();
        Assert.True(counts.Max() - counts.Min() <= 1, $"connections per instance: {string.Join(", ", counts)}");
        foreach (var connection in open)
        {
            await connection.DisposeAsync();
        }

        Assert.Equal(0, balancer.OpenConnections);
    }

    [Fact]
    public async Task InstanceKilled_ItsConnectionsFail_NewConnectsGoElsewhereWithNoFailedConnect()
    {
        using var pool = Pool("cache", LoadBalancingStrategies.LeastRequests, _redis.Endpoints);
        using var balancer = new ConnectionBalancer(pool);
        var open = new List<LoadBalancedConnection>();
        for (var i = 0; i < 9; i++)
        {
            open.Add(await OpenAndRoundTripAsync(balancer, $"before-{i}"));
        }

        var spread = await _redis.ConnectedClientsAsync();
        Assert.Equal(new[] { 3, 3, 3 }, spread);

        await _redis.KillAsync(0);
        var dead = new LoadBalancedEndpoint(_redis.Endpoints[0]);

        // The killed instance's connections fail (the server is gone); the others keep working.
        foreach (var connection in open)
        {
            var client = new RespClient(connection);
            if (connection.Endpoint.Equals(dead))
            {
                await Assert.ThrowsAnyAsync<IOException>(() => client.PingAsync());
                connection.ReportFailure();
                await connection.DisposeAsync();
            }
            else
            {
                Assert.Equal("PONG", await client.PingAsync());
            }
        }

        // It now has the fewest connections, but least connections weighs connections by the share of attempts that
        // succeed: after three failures in a row the dead instance counts as eight times busier than it looks, so it is
        // tried again only once the live ones hold about eight each, and then refused and retried on a live instance.
        var attempts = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            var connection = await OpenAndRoundTripAsync(balancer, $"after-{i}");
            Assert.NotEqual(dead, connection.Endpoint);
            attempts.Add(connection.ConnectAttempts);
            open.Add(connection);
        }

        var refusals = attempts.Count(a => a == 2);
        Assert.All(attempts, a => Assert.InRange(a, 1, 2));
        Assert.InRange(refusals, 1, 4); // fewer while its failures are recent (they fade with the pool's latency decay time)
        Assert.Equal(1, attempts[..3].Max()); // not tried again at once, although it holds the fewest connections
        await pool.SettleAsync();
        var deadState = State(pool, _redis.Endpoints[0]);
        Assert.Equal(3 + refusals, deadState.FailedRequests);
        var live = await _redis.ConnectedClientsExceptAsync(0);
        Assert.Equal(36, live.Sum());
        Assert.True(Math.Abs(live[0] - live[1]) <= 1, $"connections per live instance: {string.Join(", ", live)}");

        foreach (var connection in open.Where(c => !c.IsClosed))
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>Connects, then PING, SET and GET on the new connection; checks it reached the instance the balancer chose.</summary>
    private static async Task<LoadBalancedConnection> OpenAndRoundTripAsync(ConnectionBalancer balancer, string key)
    {
        var connection = await balancer.ConnectAsync();
        var client = new RespClient(connection);
        Assert.Equal("PONG", await client.PingAsync());
        await client.SetAsync(key, $"value of {key}");
        Assert.Equal($"value of {key}", await client.GetAsync(key));
        Assert.Equal(connection.Endpoint.Address.Port, await client.ServerPortAsync());
        return connection;
    }
}
