namespace Loadstone.Tests.Subsetting;

public sealed class SubsetPreferencesTests
{
    private static List<LoadBalancedEndpoint> Fleet(int perZone, params string[] zones) =>
        [.. zones.SelectMany(z => Enumerable.Range(1, perZone).Select(n => new LoadBalancedEndpoint($"http://{z}-{n}.fleet.invalid:8080", z)))];

    private static List<LoadBalancedEndpoint> Order(SubsetPreferences preferences, PeerCoordinate client)
    {
        var start = preferences.StartOf(client);
        return [.. Enumerable.Range(0, preferences.Count).Select(k => preferences[(start + k) % preferences.Count])];
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 8)]
    [InlineData(999, 1000)]
    public void Order_FirstK_AreTheClientsDeterministicSubsetOfSizeK(int index, int count)
    {
        var fleet = Fleet(20, "a", "b", "c");
        var ring = SubsetRing.Build(fleet, SubsetZoneMode.Proportional, null);
        var client = new PeerCoordinate(index, count);
        var order = Order(SubsetPreferences.Build(fleet), client);

        Assert.Equal(fleet.Count, order.Distinct().Count());
        foreach (var k in new[] { 1, 5, 17, 60 })
        {
            var buffer = new int[k];
            var subset = buffer[..ring.Select(ring.StartOf(client), k, [], buffer)].Select(i => fleet[i]);
            Assert.Equal(subset, order.Take(k));
        }
    }

    [Fact]
    public void Build_FleetInAnotherOrder_SameOrderForEveryClient()
    {
        var fleet = Fleet(10, "a", "b");
        var shuffled = fleet.OrderBy(e => e.Id.Length).ThenByDescending(e => e.Id, StringComparer.Ordinal).ToList();
        var client = new PeerCoordinate(2, 5);
        Assert.Equal(Order(SubsetPreferences.Build(fleet), client), Order(SubsetPreferences.Build(shuffled), client));
    }

    [Fact]
    public void Indexer_OutsideTheRing_Throws()
    {
        var preferences = SubsetPreferences.Build(Fleet(2, "a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => preferences[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => preferences[-1]);
    }

    [Fact]
    public void Build_EmptyFleet_Throws() =>
        Assert.Throws<ArgumentException>(() => SubsetPreferences.Build([]));
}
