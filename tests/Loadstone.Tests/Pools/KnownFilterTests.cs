namespace Loadstone.Tests.Pools;

/// <summary>
/// A filter a request has used (a ServiceDiscovery scheme preference or endpoint name) is remembered by the pool, so every
/// later snapshot prepares its candidates when it is published, on the control plane, not on the next request.
/// </summary>
public sealed class KnownFilterTests
{
    [Fact]
    public void Publish_AfterAFilteredRequest_TheFiltersCandidatesArePreparedWithTheSnapshot()
    {
        var strategy = new CountingStrategy();
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://10.0.0.1:8080");
        options.Endpoints.Add("https://10.0.0.2:8443");
        using var pool = new ServicePool("catalog", options, new ServicePoolDependencies
        {
            TimeProvider = TestClock.Create(),
            StrategyFactory = _ => strategy,
        });
        var filter = new EndpointFilter(null, ["https", "http"]);

        // The first request with the filter prepares its candidates itself: nothing knew of the filter before.
        var before = strategy.Prepares;
        Acquire(pool, filter);
        Assert.Equal(1, strategy.Prepares - before);

        // A new snapshot (here from a reload) prepares the unfiltered and the filtered candidates...
        before = strategy.Prepares;
        var reloaded = new LoadBalancingOptions();
        reloaded.Endpoints.Add("http://10.0.0.1:8080");
        reloaded.Endpoints.Add("https://10.0.0.2:8443");
        Assert.True(pool.TryApplyOptions(reloaded));
        Assert.Equal(2, strategy.Prepares - before);

        // ...so the next request with the filter prepares nothing.
        before = strategy.Prepares;
        Acquire(pool, filter);
        Acquire(pool, null);
        Assert.Equal(0, strategy.Prepares - before);
    }

    private static void Acquire(ServicePool pool, EndpointFilter? filter)
    {
        var context = new PickContext(null);
        pool.AcquireAttempt(filter, ref context, default).Complete(RequestOutcome.Success);
    }

    private sealed class CountingStrategy : ILoadBalancingStrategy
    {
        private int _prepares;

        public int Prepares => Volatile.Read(ref _prepares);

        public string Name => "counting";

        public object? Prepare(CandidateSet candidates)
        {
            Interlocked.Increment(ref _prepares);
            return null;
        }

        public int Pick(CandidateSet candidates, HttpRequestMessage? request) => 0;
    }
}
