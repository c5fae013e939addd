namespace Loadstone.Scaling.Tests;

public sealed class FleetLoadAggregatorTests
{
    private static BalancerReport Report(params (string Id, double InFlight, double? Rate, double Latency)[] endpoints) =>
        new(endpoints.ToDictionary(e => e.Id, e => new EndpointLoad(e.InFlight, e.Rate, e.Latency)));

    [Fact]
    public void ReadLoad_ThreeClients_SumsInFlightAndRates_AndWeighsLatencyByRate()
    {
        var fleet = new FleetLoadAggregator(TestClock.Create());
        fleet.Report("c1", Report(("a", 2, 60, 10), ("b", 1, 30, 20)));
        fleet.Report("c2", Report(("a", 3, 180, 30)));
        fleet.Report("c3", Report(("b", 4, null, 50)));

        var load = fleet.ReadLoad();

        Assert.Equal(new EndpointLoad(5, 240, ((60 * 10) + (180 * 30)) / 240.0), load["a"]);
        Assert.Equal(5, load["b"].InFlightRequests);
        Assert.Equal(30, load["b"].RequestsPerMinute);
        Assert.Equal(20, load["b"].LatencyMilliseconds); // only c1 has a rate: its latency
        Assert.Equal(3, fleet.ClientCount);
    }

    [Fact]
    public void Report_SameClientAgain_ReplacesItsPreviousReport_AndRemoveDropsIt()
    {
        var fleet = new FleetLoadAggregator(TestClock.Create());
        fleet.Report("c1", Report(("a", 2, 60, 10)));
        fleet.Report("c2", Report(("a", 1, 60, 10)));
        fleet.Report("c1", Report(("a", 7, 60, 10)));
        Assert.Equal(8, fleet.ReadLoad()["a"].InFlightRequests);

        Assert.True(fleet.Remove("c2"));
        Assert.False(fleet.Remove("c2"));
        Assert.Equal(7, fleet.ReadLoad()["a"].InFlightRequests);
    }

    [Fact]
    public void Holds_UntilEveryClientReportedAfterTheEndpointLeft_WithoutRoutingToItOrDrainingIt()
    {
        var time = TestClock.Create();
        var fleet = new FleetLoadAggregator(time);
        fleet.Report("c1", Report(("a", 1, 60, 10), ("b", 0, 0, 10)));
        fleet.Report("c2", Report(("a", 0, 60, 10), ("b", 0, 0, 10)));
        time.Advance(TimeSpan.FromSeconds(1));
        var left = time.GetUtcNow();
        Assert.True(fleet.Holds("b", left)); // nobody has reported since

        time.Advance(TimeSpan.FromSeconds(1));
        fleet.Report("c1", new BalancerReport(new Dictionary<string, EndpointLoad> { ["a"] = new(1, 60, 10) }, ["b"]));
        fleet.Report("c2", Report(("a", 0, 60, 10)));
        Assert.True(fleet.Holds("b", left)); // c1 still drains it

        time.Advance(TimeSpan.FromSeconds(1));
        fleet.Report("c1", Report(("a", 1, 60, 10)));
        Assert.False(fleet.Holds("b", left));
        Assert.True(fleet.Holds("a", left));
    }
}
