extern alias fleetsim;

using fleetsim::Loadstone.FleetSim;

namespace Loadstone.Tests.FleetSim;

/// <summary>The many-client fleet simulator at small sizes: it runs, its queueing model is sane, and it writes its files.</summary>
public sealed class FleetSimSmokeTests
{
    [Fact]
    public void Supermarket_HundredServers_TwoChoicesNearThePublishedMeanAndFarBelowOneChoice()
    {
        var (twoChoices, _) = Supermarket.Simulate(100, 0.9, LoadBalancingStrategies.PowerOfTwoChoices, 300_000, seed: 5);
        var (oneChoice, _) = Supermarket.Simulate(100, 0.9, LoadBalancingStrategies.Random, 300_000, seed: 5);

        // 2.614 as n → ∞; a fleet of 100 sits a few per cent above it. One choice: an M/M/1 queue, 10.
        Assert.InRange(twoChoices, 2.55, 2.9);
        Assert.InRange(oneChoice, 7, 13);
    }

    [Fact]
    public void Published_KnownValues()
    {
        Assert.Equal(2.614, Supermarket.Published(0.9, 2), 3);
        Assert.Equal(5.432, Supermarket.Published(0.99, 2), 3);
        Assert.Equal(10, Supermarket.Published(0.9, 1), 9);
    }

    [Fact]
    public void FleetRun_SmallFleet_DeterministicExactRandomSpread()
    {
        var options = new SimOptions { Clients = 20, Endpoints = 100, SubsetSize = 10, Requests = 60_000 };

        var deterministic = FleetRun.Simulate(SubsetKind.Deterministic, options);
        var random = FleetRun.Simulate(SubsetKind.Random, options);

        Assert.Equal(1, deterministic.Connections.Min);
        Assert.Equal(1, deterministic.Connections.Max);
        Assert.Equal(10, deterministic.PerClient.Mean);
        Assert.True(deterministic.Load.Cv < 0.1, $"load cv {deterministic.Load.Cv}");
        Assert.True(random.Connections.Max > 1.5, $"random max {random.Connections.Max}");
        Assert.True(deterministic.Fleet.Latency.Count > 50_000);
    }

    [Fact]
    public void Main_Churn_WritesItsResults()
    {
        var directory = Path.Combine(Path.GetTempPath(), "loadstone-fleetsim-" + Guid.NewGuid().ToString("N"));
        try
        {
            var exit = fleetsim::Loadstone.FleetSim.Program.Main(["churn", "--clients", "50", "--endpoints", "200", "--subset", "10", "--out", directory]);

            Assert.Equal(0, exit);
            var csv = File.ReadAllLines(Path.Combine(directory, "churn.csv"));
            Assert.Equal(1 + (4 * 8), csv.Length);
            Assert.True(File.Exists(Path.Combine(directory, "churn.json")));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
