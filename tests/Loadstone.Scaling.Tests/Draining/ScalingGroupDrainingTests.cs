namespace Loadstone.Scaling.Tests;

/// <summary>
/// Termination with a real pool on the test clock: the pool owns draining (its deregistration delay); the group
/// takes the instance out of its endpoint source and stops it once the pool no longer lists the endpoint.
/// </summary>
public sealed class ScalingGroupDrainingTests
{
    private static async Task<(ScalingTestKit Kit, ServicePool Pool)> WithPoolAsync(TimeSpan deregistrationDelay)
    {
        var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 4; o.DesiredCapacity = 2; });
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = deregistrationDelay };
        var pool = new ServicePool("web", options, new ServicePoolDependencies { TimeProvider = kit.Time, EndpointSources = [kit.Group.EndpointSource] });
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool);
        return (kit, pool);
    }

    private static ScalingInstance Owner(ScalingTestKit kit, EndpointLease lease) =>
        kit.Group.Instances.Single(i => i.Endpoint == lease.Endpoint);

    private static EndpointState? InPool(ServicePool pool, ScalingInstance instance) =>
        pool.Endpoints.SingleOrDefault(s => s.Endpoint == instance.Endpoint);

    [Fact]
    public async Task Terminate_InFlightRequest_PoolDrainsItAndGroupStopsItOnceThePoolLetsGo()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.FromSeconds(30));
        using var _ = kit;
        using var __ = pool;
        Assert.Equal(2, pool.Endpoints.Count);
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);

        // Out of the source at once: the pool drains it and routes nothing new to it.
        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        Assert.Equal(EndpointHealth.Draining, InPool(pool, victim)?.Health);
        Assert.DoesNotContain(victim.Endpoint, await kit.PublishedAsync());
        for (var i = 0; i < 10; i++)
        {
            var other = pool.Acquire();
            Assert.NotEqual(victim.Endpoint, other.Endpoint);
            other.Complete(RequestOutcome.Success);
        }

        kit.Seconds(5);
        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        Assert.Equal(0, kit.Launcher.StopCount);

        // The request ends: the pool drops the idle endpoint on its next housekeeping tick, the group stops the
        // instance on its next reconcile tick.
        lease.Complete(RequestOutcome.Success);
        kit.Seconds(1);
        Assert.Null(InPool(pool, victim));
        kit.Seconds(1);
        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
        Assert.Equal(1, kit.Launcher.StopCount);
        Assert.Contains(kit.Ended, a => a.Kind == ScalingActivityKind.Terminate && a.InstanceId == victim.Id && a.Status == ScalingActivityStatus.Successful);
    }

    [Fact]
    public async Task Terminate_RequestNeverEnds_StoppedOnceThePoolsDeregistrationDelayHasPassed()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.FromSeconds(30));
        using var _ = kit;
        using var __ = pool;
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);
        kit.Seconds(29);
        Assert.Equal(ScalingInstanceState.Terminating, victim.State);
        Assert.Equal(EndpointHealth.Draining, InPool(pool, victim)?.Health);

        kit.Seconds(1);
        Assert.Null(InPool(pool, victim)); // the pool's deadline: dropped with the request still in flight
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
    public async Task Terminate_TerminateHook_RunsAfterThePoolLetsGo()
    {
        var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 0;
            o.MaxSize = 2;
            o.DesiredCapacity = 2;
            o.LifecycleHooks.Add(new LifecycleHook { Name = "drain-cache", Transition = LifecycleTransition.Terminating });
        });
        using var _ = kit;
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.FromSeconds(30) };
        using var pool = new ServicePool("web", options, new ServicePoolDependencies { TimeProvider = kit.Time, EndpointSources = [kit.Group.EndpointSource] });
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool);
        var hooked = new List<string>();
        kit.Group.LifecycleActionRequired += (_, e) => hooked.Add(e.Instance.Id);
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);
        kit.Seconds(3);
        Assert.Empty(hooked);

        lease.Complete(RequestOutcome.Success);
        kit.Seconds(2);
        Assert.Equal([victim.Id], hooked);
        Assert.Equal(ScalingInstanceState.TerminatingWait, victim.State);
        Assert.True(kit.Group.CompleteLifecycleAction(victim.Id, "drain-cache", LifecycleActionResult.Continue));
        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
    }

    [Fact]
    public async Task Terminate_PoolZeroDelay_DroppedWithItsRequestAndStoppedAtOnce()
    {
        var (kit, pool) = await WithPoolAsync(TimeSpan.Zero);
        using var _ = kit;
        using var __ = pool;
        var lease = pool.Acquire();
        var victim = Owner(kit, lease);

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);

        Assert.Null(InPool(pool, victim));
        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public void Terminate_NoPoolAttached_StoppedAtOnce()
    {
        using var kit = new ScalingTestKit(o => { o.MinSize = 0; o.MaxSize = 2; o.DesiredCapacity = 2; });
        var victim = kit.InService[0];

        kit.Group.TerminateInstance(victim.Id, decrementDesiredCapacity: true);

        Assert.Equal(ScalingInstanceState.Terminated, victim.State);
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
