namespace Loadstone.Scaling.Tests;

public sealed class PoolLoadMeterTests
{
    [Fact]
    public async Task Measure_RatesFromTheGrowthOfRequestCounters_DrainingEndpointsListedApart()
    {
        var time = TestClock.Create();
        var a = new LoadBalancedEndpoint("http://a.invalid:80");
        var b = new LoadBalancedEndpoint("http://b.invalid:80");
        var source = new DynamicEndpointSource("s", [a, b]);
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.FromSeconds(30) };
        using var pool = new ServicePool("metered", options, new ServicePoolDependencies { TimeProvider = time, EndpointSources = [source] });
        await pool.InitializeAsync();
        var meter = new PoolLoadMeter(pool, time);

        var first = meter.Measure();
        Assert.Null(first.Endpoints[a.Id].RequestsPerMinute);

        // 6 requests complete in 30 s (3 on each), 2 stay in flight.
        for (var i = 0; i < 6; i++)
        {
            pool.Acquire().Complete(RequestOutcome.Success);
        }

        var open = new[] { pool.Acquire(), pool.Acquire() };
        time.Advance(TimeSpan.FromSeconds(30));
        var second = meter.Measure();
        Assert.Equal(6, second.Endpoints[a.Id].RequestsPerMinute); // 3 in half a minute
        Assert.Equal(1, second.Endpoints[a.Id].InFlightRequests);

        source.Update([a]); // b leaves with a request in flight: the pool drains it
        await Eventually.TrueAsync(() => pool.Endpoints.Any(e => e.Health == EndpointHealth.Draining), "b to drain");
        var third = meter.Measure();
        Assert.False(third.Endpoints.ContainsKey(b.Id));
        Assert.Equal([b.Id], third.Draining);
        Assert.True(third.Holds(b.Id));
        foreach (var lease in open)
        {
            lease.Complete(RequestOutcome.Success);
        }
    }
}
