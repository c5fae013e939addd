namespace Loadstone.Scaling.Tests;

public sealed class AttachedPoolTests
{
    private static readonly LoadBalancedEndpoint s_a = new("http://a.invalid:8080");
    private static readonly LoadBalancedEndpoint s_b = new("http://b.invalid:8080");

    private static async Task<(ServicePool Pool, DynamicEndpointSource Source, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time)> PoolAsync()
    {
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("test", [s_a, s_b]);
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.FromSeconds(30) };
        var pool = new ServicePool("attached", options, new ServicePoolDependencies { TimeProvider = time, EndpointSources = [source] });
        await pool.InitializeAsync();
        return (pool, source, time);
    }

    [Fact]
    public async Task Holds_DrainingEndpoint_TrueUntilThePoolDropsIt()
    {
        var (pool, source, time) = await PoolAsync();
        using var _ = pool;
        var attached = new AttachedPool(pool, useBalancerHealth: false);
        var lease = pool.Acquire();
        var leaving = lease.Endpoint;

        source.Update([leaving == s_a ? s_b : s_a]);

        Assert.True(attached.Holds(leaving.Id));
        Assert.DoesNotContain(leaving.Id, attached.RoutedStates().Keys);
        lease.Complete(RequestOutcome.Success);
        time.AdvanceInSteps(TimeSpan.FromSeconds(1));
        Assert.False(attached.Holds(leaving.Id));
    }

    [Fact]
    public async Task RoutedStates_Members_ByEndpointId()
    {
        var (pool, _, _) = await PoolAsync();
        using var __ = pool;
        var states = new AttachedPool(pool, useBalancerHealth: true).RoutedStates();
        Assert.Equal([s_a.Id, s_b.Id], states.Keys.Order(StringComparer.Ordinal));
        Assert.Same(s_a, states[s_a.Id].Endpoint);
    }

    [Fact]
    public async Task Holds_EndpointThePoolNeverHad_False()
    {
        var (pool, _, _) = await PoolAsync();
        using var __ = pool;
        Assert.False(new AttachedPool(pool, false).Holds("http://elsewhere.invalid:8080/"));
    }
}
