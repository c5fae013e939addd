using Loadstone.Tests.Http;
using Microsoft.Extensions.Logging;
using static Loadstone.Tests.Connections.ConnectionKit;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>
/// Connections to an endpoint that leaves the pool: left for their owner to close (the default, as an NLB's), or closed
/// once the deregistration delay has ended. Time is the pool's manual clock; nothing sleeps.
/// </summary>
public sealed class DrainingConnectionTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private TcpTestServer _a = null!;
    private TcpTestServer _b = null!;
    private DynamicEndpointSource _source = null!;
    private ServicePool _pool = null!;

    public async Task InitializeAsync()
    {
        _a = TcpTestServer.Echo();
        _b = TcpTestServer.Echo();
        _source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(_a.Endpoint), new LoadBalancedEndpoint(_b.Endpoint)]);
        var setup = new PoolSetup
        {
            Options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.FirstAvailable, DeregistrationDelay = TimeSpan.FromSeconds(60) },
            Time = _time,
        };
        setup.Sources.Add(_source);
        _pool = setup.Create("echo");
        await _pool.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        _pool.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task EndpointRemoved_ByDefault_ConnectionOutlivesTheDelayUntilItsOwnerClosesIt()
    {
        using var balancer = new ConnectionBalancer(_pool);
        var connection = await balancer.ConnectAsync();
        Assert.Equal(new LoadBalancedEndpoint(_a.Endpoint), connection.Endpoint);

        RemoveA();
        Assert.Equal(EndpointHealth.Draining, connection.State.Health);
        await using (var other = await balancer.ConnectAsync())
        {
            Assert.Equal(new LoadBalancedEndpoint(_b.Endpoint), other.Endpoint); // no new connection to a draining endpoint
        }

        _time.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal(EndpointHealth.Unused, connection.State.Health); // the pool let the endpoint go at the delay
        Assert.False(connection.IsClosed);
        Assert.Equal("still here", await EchoAsync(connection, "still here"));
        await connection.DisposeAsync();
        Assert.Equal(0, balancer.OpenConnections);
    }

    [Fact]
    public async Task EndpointRemoved_CloseOnDeregistration_ClosedWhenTheDelayEndsNotBefore()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddRecording(logs));
        using var balancer = new ConnectionBalancer(_pool, new ConnectionBalancerOptions { CloseConnectionsOnDeregistration = true }, loggerFactory);
        var toA = await balancer.ConnectAsync();
        RemoveA();
        var toB = await balancer.ConnectAsync();
        Assert.Equal(new LoadBalancedEndpoint(_b.Endpoint), toB.Endpoint);

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(toA.IsClosed);
        Assert.Equal("draining", await EchoAsync(toA, "draining"));

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.True(toA.IsClosed);
        Assert.True(toA.ClosedOnDeregistration);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => EchoAsync(toA, "gone"));
        WaitFor(() => _a.Open == 0, "server A to see the connection close");
        Assert.False(toB.IsClosed);
        Assert.Equal("b", await EchoAsync(toB, "b"));
        Assert.Equal(1, balancer.OpenConnections);
        Assert.Equal(0, toA.State.FailedRequests); // closing it was the balancer's doing, not a failure of A
        var log = Assert.Single(logs.Entries, e => e.Id.Id == 302);
        Assert.Equal($"Service 'echo' closed a connection to {new LoadBalancedEndpoint(_a.Endpoint).Id}: the endpoint left the pool and its deregistration delay ended.", log.Message);
        await toB.DisposeAsync();
    }

    [Fact]
    public async Task EndpointRemovedThenAddedBack_CloseOnDeregistration_ConnectionKept()
    {
        using var balancer = new ConnectionBalancer(_pool, new ConnectionBalancerOptions { CloseConnectionsOnDeregistration = true });
        await using var toA = await balancer.ConnectAsync();
        RemoveA();
        _time.Advance(TimeSpan.FromSeconds(30));

        _source.Update([new LoadBalancedEndpoint(_a.Endpoint), new LoadBalancedEndpoint(_b.Endpoint)]);
        WaitFor(() => toA.State.Health != EndpointHealth.Draining, "A to be a member again");
        _time.Advance(TimeSpan.FromSeconds(120));

        Assert.False(toA.IsClosed);
        Assert.Equal("back", await EchoAsync(toA, "back"));
    }

    [Fact]
    public async Task EndpointRemoved_CloseOnDeregistrationWithZeroDelay_ClosedOnTheNextSweep()
    {
        _pool.Dispose();
        var setup = new PoolSetup
        {
            Options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.FirstAvailable, DeregistrationDelay = TimeSpan.Zero },
            Time = _time,
        };
        setup.Sources.Add(_source);
        _pool = setup.Create("echo");
        await _pool.InitializeAsync();
        using var balancer = new ConnectionBalancer(_pool, new ConnectionBalancerOptions { CloseConnectionsOnDeregistration = true });
        var toA = await balancer.ConnectAsync();

        RemoveA();
        Assert.Equal(EndpointHealth.Unused, toA.State.Health);
        _time.Advance(ConnectionBalancer.SweepPeriod);

        Assert.True(toA.ClosedOnDeregistration);
    }

    private void RemoveA()
    {
        _source.Update([new LoadBalancedEndpoint(_b.Endpoint)]);
        WaitFor(() => _pool.Endpoints[0].Endpoint.Equals(new LoadBalancedEndpoint(_b.Endpoint)), "the source update");
    }
}
