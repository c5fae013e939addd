namespace Loadstone.Scaling.Tests;

public sealed class MetricSamplerTests
{
    [Fact]
    public void Sample_NoPool_MissingData()
    {
        var parts = new GroupParts();
        parts.AddInService();
        Assert.Equal(default, new MetricSampler(parts.Context).Sample(parts.Now));
    }

    [Fact]
    public async Task Sample_PoolAttached_AveragesOverInstancesPastWarmup()
    {
        var parts = new GroupParts(o => o.InstanceWarmup = TimeSpan.FromSeconds(120));
        var warm = parts.AddInService(inServiceAt: TestClock.Start - TimeSpan.FromMinutes(5));
        var other = parts.AddInService(inServiceAt: TestClock.Start - TimeSpan.FromMinutes(5));
        var warming = parts.AddInService();
        var source = new DynamicEndpointSource("group", [warm.Endpoint!, other.Endpoint!, warming.Endpoint!]);
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin };
        using var pool = new ServicePool("sampled", options, new ServicePoolDependencies { TimeProvider = parts.Time, EndpointSources = [source] });
        await pool.InitializeAsync();
        parts.Context.Pool = new AttachedPool(pool, useBalancerHealth: false);
        var sampler = new MetricSampler(parts.Context);

        // Round robin: 9 leases, 3 on each instance; the warming one's are not counted.
        var leases = Enumerable.Range(0, 9).Select(_ => pool.Acquire()).ToList();
        var first = sampler.Sample(parts.Now);
        Assert.Equal(3, first.InFlight);
        Assert.Null(first.RequestRate); // no previous sample to measure a rate from

        // 6 of the warm instances' requests complete within a minute: 3 per instance per minute.
        foreach (var lease in leases.Where(l => l.Endpoint != warming.Endpoint))
        {
            lease.Complete(RequestOutcome.Success);
        }

        parts.Time.Advance(TimeSpan.FromSeconds(60));
        var second = sampler.Sample(parts.Now);
        Assert.Equal(0, second.InFlight);
        Assert.Equal(3, second.RequestRate);
        Assert.NotNull(second.Latency);
        leases.Where(l => l.Endpoint == warming.Endpoint).ToList().ForEach(l => l.Complete(RequestOutcome.Success));
    }

    [Fact]
    public void Sample_FleetFiguresMissAnInstance_ItCountsAsIdle_TheLoadIsSpreadOverTheWholeCapacity()
    {
        var fleet = new FleetLoadAggregator(TestClock.Create());
        var parts = new GroupParts(metrics: fleet);
        var a = parts.AddInService();
        var b = parts.AddInService();
        parts.AddInService(); // in service, but no client has reported it yet
        fleet.Report("c1", new BalancerReport(new Dictionary<string, EndpointLoad> { [a.Endpoint!.Id] = new(6, 60, 10), [b.Endpoint!.Id] = new(3, 30, 20) }));
        fleet.Report("c2", new BalancerReport(new Dictionary<string, EndpointLoad> { [a.Endpoint!.Id] = new(3, null, 10) }));

        var sample = new MetricSampler(parts.Context).Sample(parts.Now);

        Assert.Equal(12 / 3.0, sample.InFlight); // the fleet's 12 in flight over 3 instances, not over the 2 reported
        Assert.Equal(90 / 3.0, sample.RequestRate);
        Assert.Equal(15, sample.Latency); // the reported instances' latencies: (10 + 20) / 2
    }
}
