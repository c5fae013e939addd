namespace Loadstone.Scaling.Tests;

public sealed class BalancerHealthTests
{
    private static async Task<(ScalingTestKit Kit, ServicePool Pool)> WithPoolAsync(bool useBalancerHealth)
    {
        var kit = new ScalingTestKit(o => { o.MinSize = 2; o.MaxSize = 2; o.HealthCheckGracePeriod = TimeSpan.FromSeconds(10); });
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.Zero };
        options.HealthChecks.Passive.MaxEjectionPercent = 100;
        var pool = new ServicePool("web", options, new ServicePoolDependencies { TimeProvider = kit.Time, EndpointSources = [kit.Group.EndpointSource] });
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool, useBalancerHealth);
        return (kit, pool);
    }

    private static void FailFiveTimes(ServicePool pool, LoadBalancedEndpoint target)
    {
        var failures = 0;
        for (var i = 0; i < 50 && failures < 5; i++)
        {
            var lease = pool.Acquire();
            var failed = lease.Endpoint == target;
            lease.Complete(failed ? RequestOutcome.ServerError : RequestOutcome.Success);
            failures += failed ? 1 : 0;
        }

        // The fifth failure hands the ejection to the pool's control plane; the request path does not wait for it.
        Assert.True(SpinWait.SpinUntil(() => pool.Endpoints.Any(s => s.Endpoint == target && s.Health == EndpointHealth.Unhealthy), TimeSpan.FromSeconds(10)),
            "the pool never ejected the failing endpoint");
    }

    [Fact]
    public async Task AttachPool_UseBalancerHealth_EjectedInstanceReplacedAfterGracePeriod()
    {
        var (kit, pool) = await WithPoolAsync(useBalancerHealth: true);
        using var _ = kit;
        using var __ = pool;
        var target = kit.Instance("web-1");
        FailFiveTimes(pool, target.Endpoint!);
        Assert.Equal(EndpointHealth.Unhealthy, pool.Endpoints.Single(s => s.Endpoint == target.Endpoint).Health);

        kit.Seconds(9);
        Assert.Equal(ScalingInstanceHealth.Healthy, target.Health);
        kit.Seconds(1);
        Assert.Equal(ScalingInstanceState.Terminated, target.State);
        Assert.Contains("the balancer reports it unhealthy (EjectedConsecutiveServerErrors)", target.HealthReason, StringComparison.Ordinal);
        Assert.Equal(["web-2", "web-3"], kit.InService.Select(i => i.Id));
    }

    [Fact]
    public async Task AttachPool_WithoutBalancerHealth_EjectionIgnored()
    {
        var (kit, pool) = await WithPoolAsync(useBalancerHealth: false);
        using var _ = kit;
        using var __ = pool;
        FailFiveTimes(pool, kit.Instance("web-1").Endpoint!);
        kit.Seconds(20);
        Assert.Equal(["web-1", "web-2"], kit.InService.Select(i => i.Id));
    }
}
