using Microsoft.Extensions.Time.Testing;
using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Pools;

/// <summary>
/// Disposing a pool lets go of what it subscribed to: its endpoint sources and its gauges. (Timers and probes: see
/// <see cref="Health.ActiveHealthProberTests"/>.)
/// </summary>
public sealed class ServicePoolDisposeTests
{
    [Fact]
    public async Task Dispose_SourceChangesAfterwards_PoolNoLongerFollowsIt()
    {
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(Fake(0))]);
        var setup = new PoolSetup { Time = TestClock.Create() };
        setup.Sources.Add(source);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        source.Update([new LoadBalancedEndpoint(Fake(0)), new LoadBalancedEndpoint(Fake(1))]);
        WaitFor(() => pool.Endpoints.Count == 2, "the source's change");

        pool.Dispose();
        source.Update([new LoadBalancedEndpoint(Fake(2))]);

        // A source's change reaches the pool asynchronously; no wait can prove a "never", so this one is short and can
        // only miss a regression on a very slow machine, never fail a correct pool.
        Assert.False(SpinWait.SpinUntil(() => pool.Endpoints.Count != 2, TimeSpan.FromMilliseconds(300)));
        Assert.Equal([new LoadBalancedEndpoint(Fake(0)).Id, new LoadBalancedEndpoint(Fake(1)).Id], pool.Endpoints.Select(s => s.Endpoint.Id));
    }

    [Fact]
    public void Dispose_Pool_ItsGaugesStopReporting()
    {
        const string Service = "dispose-gauges";
        using var metrics = new LoadstoneMetricCollector(Service);
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(Fake(0));
        options.Endpoints.Add(Fake(1));
        var pool = new ServicePool(Service, options);
        Assert.Equal(2, Assert.Single(metrics.Observe("loadstone.pool.endpoints")).Value);

        pool.Dispose();

        Assert.Empty(metrics.Observe("loadstone.pool.endpoints"));
    }
}
