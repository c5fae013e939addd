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

    /// <summary>Each endpoint's share of new keys is its share of the weight, within ±0.07 of 4,000 keys.</summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    public void Acquire_StickyKeys_SpreadByTheConfiguredWeights(int first, int second)
    {
        using var pool = Pool(first, second);

        var shares = Shares(pool);

        var expected = (double)first / (first + second);
        Assert.InRange(shares["http://10.0.0.1:8080"], expected - 0.07, expected + 0.07);
        Assert.InRange(shares["http://10.0.0.2:8080"], 1 - expected - 0.07, 1 - expected + 0.07);
    }
}
