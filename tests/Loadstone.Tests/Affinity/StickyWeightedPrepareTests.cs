namespace Loadstone.Tests.Affinity;

/// <summary>
/// Sticky keys are placed by the endpoints' configured weights: unequal weights spread new keys in proportion,
/// equal weights evenly.
/// </summary>
public sealed class StickyWeightedPrepareTests
{
    private const int Keys = 4000;

    private static ServicePool Pool(params int[] weights)
    {
        var options = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.RoundRobin,
            StickySessions = new StickySessionOptions().KeyFromHeader("X-User-Id"),
        };
        for (var i = 0; i < weights.Length; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint($"http://10.0.0.{i + 1}:8080", weight: weights[i]));
        }

        return new ServicePool("catalog", options, new ServicePoolDependencies { TimeProvider = TestClock.Create(), Random = new Random(1) });
    }

    /// <summary>The share of <see cref="Keys"/> distinct keys that each endpoint (by address) receives.</summary>
    private static Dictionary<string, double> Shares(ServicePool pool)
    {
        var counts = pool.Endpoints.ToDictionary(s => s.Endpoint.Id, _ => 0);
        for (var k = 0; k < Keys; k++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
            request.Headers.Add("X-User-Id", $"user-{k}");
            var lease = pool.Acquire(request);
            counts[lease.Endpoint.Id]++;
            lease.Complete(RequestOutcome.Success);
        }

        return counts.ToDictionary(p => p.Key, p => (double)p.Value / Keys);
    }

    [Fact]
    public void Acquire_StickyKeysWithWeightsOneAndThree_AboutAQuarterAndThreeQuarters()
    {
        using var pool = Pool(1, 3);

        var shares = Shares(pool);

        Assert.InRange(shares["http://10.0.0.1:8080"], 0.18, 0.32);
        Assert.InRange(shares["http://10.0.0.2:8080"], 0.68, 0.82);
    }

    [Fact]
    public void Acquire_StickyKeysWithWeightsThreeAndOne_HeavierFirstEndpointGetsAboutThreeQuarters()
    {
        using var pool = Pool(3, 1);

        var shares = Shares(pool);

        Assert.InRange(shares["http://10.0.0.1:8080"], 0.68, 0.82);
        Assert.InRange(shares["http://10.0.0.2:8080"], 0.18, 0.32);
    }

    [Fact]
    public void Acquire_StickyKeysWithEqualWeights_EvenlySpread()
    {
        using var pool = Pool(2, 2);

        var shares = Shares(pool);

        Assert.InRange(shares["http://10.0.0.1:8080"], 0.42, 0.58);
        Assert.InRange(shares["http://10.0.0.2:8080"], 0.42, 0.58);
    }
}
