namespace Loadstone.Tests.Zones;

/// <summary>
/// Zone shares over real requests to Kestrel backends tagged with zones, through <see cref="LoadBalancingHandler"/>,
/// with zone preference and the random strategy. Picks are seeded and sequential, so runs repeat exactly.
/// </summary>
public sealed class ZonePreferenceIntegrationTests
{
    private const int Requests = 2000;

    private static async Task<Dictionary<string, double>> SharesAsync(TestBackend[] backends, string[] zones, ZoneOptions zoneOptions, int seed)
    {
        var options = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.Random,
            Zones = zoneOptions,
        };
        for (var i = 0; i < backends.Length; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(backends[i].Address, zones[i]));
        }

        using var pool = new ServicePool("catalog", options, new ServicePoolDependencies { Random = new Random(seed) });
        using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
        var counts = backends.ToDictionary(b => b.Name, _ => 0);
        for (var n = 0; n < Requests; n++)
        {
            counts[await client.GetStringAsync("http://catalog/items")]++;
        }

        return counts.ToDictionary(c => c.Key, c => c.Value / (double)Requests);
    }

    private static async Task WithBackendsAsync(string[] zones, Func<TestBackend[], Task> test)
    {
        var backends = await TestBackend.StartManyAsync(zones.Length);
        try
        {
            await test(backends);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    private static readonly string[] s_twoAndEight = ["a", "a", "b", "b", "b", "b", "b", "b", "b", "b"];

    [Theory]
    [InlineData(ZoneRoutingMode.CrossZone, 0.10, 0.10)]
    [InlineData(ZoneRoutingMode.PerZone, 0.25, 0.0625)]
    public async Task Requests_TwoAndEightTargets_ReproduceTheSemanticsShares(ZoneRoutingMode mode, double perA, double perB)
    {
        await WithBackendsAsync(s_twoAndEight, async backends =>
        {
            var shares = await SharesAsync(backends, s_twoAndEight, new ZoneOptions { Mode = mode, LocalZone = "a" }, seed: 21);

            // Tolerance: about 3 standard deviations of a binomial share over 2,000 requests.
            for (var i = 0; i < backends.Length; i++)
            {
                var expected = s_twoAndEight[i] == "a" ? perA : perB;
                var sigma = Math.Sqrt(expected * (1 - expected) / Requests);
                Assert.InRange(shares[backends[i].Name], expected - (3 * sigma), expected + (3 * sigma));
            }
        });
    }

    [Fact]
    public async Task Requests_EnvoyResidualExample_SpillInProportionToSpareCapacity()
    {
        // Callers a 50 %, b 25 %, c 25 %; upstreams a 1, b 4, c 5. From a: 20 % local, b 30 % (7.5 % each), c 50 % (10 % each).
        string[] zones = ["a", "b", "b", "b", "b", "c", "c", "c", "c", "c"];
        await WithBackendsAsync(zones, async backends =>
        {
            var options = new ZoneOptions { Mode = ZoneRoutingMode.ZoneAware, LocalZone = "a" };
            options.CallerShares["a"] = 2;
            options.CallerShares["b"] = 1;
            options.CallerShares["c"] = 1;

            var shares = await SharesAsync(backends, zones, options, seed: 5);

            double[] expected = [0.2, 0.075, 0.075, 0.075, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1];
            for (var i = 0; i < backends.Length; i++)
            {
                var sigma = Math.Sqrt(expected[i] * (1 - expected[i]) / Requests);
                Assert.InRange(shares[backends[i].Name], expected[i] - (3 * sigma), expected[i] + (3 * sigma));
            }
        });
    }

    [Fact]
    public async Task Requests_FullAffinity_StayInTheLocalZone()
    {
        await WithBackendsAsync(s_twoAndEight, async backends =>
        {
            var shares = await SharesAsync(backends, s_twoAndEight, new ZoneOptions { Mode = ZoneRoutingMode.Affinity, LocalZone = "a" }, seed: 8);

            Assert.Equal(1.0, shares[backends[0].Name] + shares[backends[1].Name], 12);
        });
    }
}
