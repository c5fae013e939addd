namespace Loadstone.Tests.Balancing;

public sealed class FirstAvailableStrategyTests
{
    [Fact]
    public void Acquire_ThreeEndpoints_AllTrafficToTheFirst()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.FirstAvailable, 1, 1, 1, 1);

        Assert.Equal([100, 0, 0], Picks.Count(pool, 100));
    }

    [Fact]
    public void Acquire_FirstLighterAndBusy_StillAllTrafficToTheFirst()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.FirstAvailable, 1, 1, 10, 10);
        var held = Load.Hold(pool, 0, 50);

        Assert.Equal([100, 0, 0], Picks.Count(pool, 100));
        Load.CompleteAll(held);
    }

    [Fact]
    public void Acquire_FirstHasWeightZero_AllTrafficToTheSecond()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.FirstAvailable, 1, 0, 1, 1);

        Assert.Equal([0, 100, 0], Picks.Count(pool, 100));
    }

    [Fact]
    public async Task Acquire_CodeEndpointAndSourceEndpoint_CodeEndpointFirst()
    {
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.FirstAvailable };
        options.Endpoints.Add(Picks.Address(0));
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies
        {
            EndpointSources = [EndpointSource.Static(new LoadBalancedEndpoint(Picks.Address(1)))],
        });
        await pool.InitializeAsync();
        Assert.Equal([Picks.Address(0), Picks.Address(1)], pool.Endpoints.Select(e => e.Endpoint.BaseAddress));

        for (var i = 0; i < 20; i++)
        {
            var lease = pool.Acquire();
            Assert.Equal(Picks.Address(0), lease.Endpoint.BaseAddress);
            lease.Complete(RequestOutcome.Success);
        }
    }
}
