namespace Loadstone.Tests.Zones;

public sealed class ZoneStageTests
{
    public static TheoryData<string> Strategies => [.. LoadBalancingStrategies.BuiltIn];

    private static ServicePool Pool(string strategy, ZoneOptions zones, string[] endpointZones, int seed = 3)
    {
        var options = new LoadBalancingOptions
        {
            Strategy = strategy,
            Zones = zones,
        };
        for (var i = 0; i < endpointZones.Length; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint($"http://10.0.0.{i + 1}:8080", endpointZones[i], weight: (i % 3) + 1));
        }

        return new ServicePool("catalog", options, new ServicePoolDependencies { Random = new Random(seed) });
    }

    private static Dictionary<string, int> Picks(ServicePool pool, int count)
    {
        var hits = new Dictionary<string, int>();
        for (var n = 0; n < count; n++)
        {
            var lease = pool.Acquire();
            hits[lease.Endpoint.Id] = hits.GetValueOrDefault(lease.Endpoint.Id) + 1;
            lease.Complete(RequestOutcome.Success);
        }

        return hits;
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Pick_FullAffinityWithAnyStrategy_StaysInTheLocalZone(string strategy)
    {
        string[] zones = ["a", "b", "a", "b", "b", "a"];
        using var pool = Pool(strategy, new ZoneOptions { Mode = ZoneRoutingMode.Affinity, LocalZone = "b" }, zones);

        var hits = Picks(pool, 600);

        var local = Enumerable.Range(0, zones.Length).Where(i => zones[i] == "b").Select(i => $"http://10.0.0.{i + 1}:8080").ToHashSet();
        Assert.All(hits.Keys, id => Assert.Contains(id, local));

        // Strategies that spread regardless of load use every local endpoint; the load-aware ones, with sequential
        // requests that never overlap, keep choosing the heaviest-weighted idle one, which is their rule.
        if (strategy is LoadBalancingStrategies.RoundRobin or LoadBalancingStrategies.Random or LoadBalancingStrategies.WeightedRoundRobin)
        {
            Assert.Equal(3, hits.Count);
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Pick_PerZoneWithAnyStrategy_SplitsZonesEvenly(string strategy)
    {
        string[] zones = ["a", "b", "b", "b", "b", "b"];
        using var pool = Pool(strategy, new ZoneOptions { Mode = ZoneRoutingMode.PerZone }, zones);

        var hits = Picks(pool, 4000);

        // Zone a's single endpoint gets half of all picks, whatever the strategy does within zone b.
        Assert.InRange(hits["http://10.0.0.1:8080"] / 4000.0, 0.46, 0.54);
    }

    [Fact]
    public void Name_IsTheInnerStrategysName()
    {
        using var pool = Pool(LoadBalancingStrategies.PeakEwma, new ZoneOptions { Mode = ZoneRoutingMode.PerZone }, ["a", "b"]);

        Assert.Equal(LoadBalancingStrategies.PeakEwma, pool.StrategyName);
    }
}
