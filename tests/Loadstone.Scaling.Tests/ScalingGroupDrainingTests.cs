using Loadstone.Scaling;

namespace Loadstone.Tests.Scaling;

public sealed class ScalingGroupDrainingTests
{
    private static async Task<(ScalingTestKit Kit, ServicePool Pool)> WithPoolAsync(TimeSpan deregistrationDelay)
    {
        var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 4; o.DesiredCapacity = 2; o.DeregistrationDelay = deregistrationDelay; });
        var options = new LoadBalancingOptions { TimeProvider = kit.Time, Strategy = LoadBalancingStrategies.RoundRobin };
        options.EndpointSources.Add(kit.Group.EndpointSource);
        var pool = new ServicePool("web", options);
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool);
        return (kit, pool);
    }

    private static ScalingInstance Owner(ScalingTestKit kit, EndpointLease lease) =>
        kit.Group.Instances.Single(i => i.Endpoint == lease.Endpoint);

    [Fact]
    public async Task Terminate_InFlightRequest_RemovedFromPoolFirstStoppedWhenRequestEnds()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.FromSeconds(30));
        using var _ = kit;
        using var __ = pool;
        Assert.Equal(2, pool.Endpoints.Count);
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);

        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        Assert.DoesNotContain(pool.Endpoints, s => s.Endpoint == victim.Endpoint && s.Health != EndpointHealth.Draining);
        for (var i = 0; i < 10; i++)
        {
            var other = pool.Acquire();
            Assert.NotEqual(victim.Endpoint, other.Endpoint);
            other.Complete(RequestOutcome.Success);
        }

        kit.Seconds(5);
        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        Assert.Equal(0, kit.Launcher.StopCount);

        lease.Complete(RequestOutcome.Success);
        kit.Seconds(1);
        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
        Assert.Equal(1, kit.Launcher.StopCount);
    }

    [Fact]
    public async Task Terminate_RequestNeverEnds_StoppedAfterDeregistrationDelay()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.FromSeconds(30));
        using var _ = kit;
        using var __ = pool;
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);
        kit.Seconds(29);
        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        kit.Seconds(1);
        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task Terminate_NoInFlightRequest_StoppedAtOnce()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.FromSeconds(300));
        using var _ = kit;
        using var __ = pool;

        kit.Group.SetDesiredCapacity(1);

        Assert.Single(kit.Group.Instances);
        Assert.Single(pool.Endpoints);
        Assert.Equal(1, kit.Launcher.StopCount);
    }

    [Fact]
    public async Task ScaleOut_NewInstance_AppearsInPool()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.Zero);
        using var _ = kit;
        using var __ = pool;
        kit.Group.SetDesiredCapacity(4);
        Assert.Equal(kit.InService.Select(i => i.Endpoint!), pool.Endpoints.Select(s => s.Endpoint));
    }
}
