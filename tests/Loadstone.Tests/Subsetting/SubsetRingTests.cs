using System.Globalization;

namespace Loadstone.Tests.Subsetting;

public sealed class SubsetRingTests
{
    internal static LoadBalancedEndpoint[] Endpoints(int n, int salt = 0, params string[] zones) =>
        Enumerable.Range(0, n).Select(i => new LoadBalancedEndpoint(
            new Uri(string.Create(CultureInfo.InvariantCulture, $"http://10.{salt}.{i / 250}.{i % 250}:8080")),
            zones.Length == 0 ? null : zones[i % zones.Length])).ToArray();

    /// <summary>Every client's subset (member ids), all healthy.</summary>
    internal static HashSet<string>[] Subsets(IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size, SubsetZoneMode mode = SubsetZoneMode.Proportional, string? localZone = null)
    {
        var ring = SubsetRing.Build(members, mode, localZone);
        var slots = PeerGrid.Slots(clients);
        var phase = PeerGrid.Phase(clients);
        var buffer = new int[members.Count];
        var subsets = new HashSet<string>[clients];
        for (var c = 0; c < clients; c++)
        {
            var count = ring.Select(ring.StartOf(slots[c], phase, clients), Math.Min(size, ring.Count), [], buffer);
            subsets[c] = buffer[..count].Select(i => members[i].Id).ToHashSet();
        }

        return subsets;
    }

    private static Dictionary<string, int> ClientsPerEndpoint(IEnumerable<LoadBalancedEndpoint> members, HashSet<string>[] subsets)
    {
        var counts = members.ToDictionary(m => m.Id, _ => 0);
        foreach (var id in subsets.SelectMany(s => s))
        {
            counts[id]++;
        }

        return counts;
    }

    [Theory]
    [InlineData(1000, 10_000, 50)]
    [InlineData(300, 300, 90)]
    [InlineData(12, 60, 10)]
    [InlineData(7, 100, 13)]
    [InlineData(100, 7, 3)]
    [InlineData(37, 1000, 20)]
    [InlineData(5000, 300, 7)]
    [InlineData(1, 10, 5)]
    [InlineData(3, 10, 10)]
    public void Select_EveryClientAndEndpoint_CountsWithinOneOfIdeal(int clients, int endpoints, int size)
    {
        var members = Endpoints(endpoints);
        var subsets = Subsets(members, clients, size);

        Assert.All(subsets, s => Assert.Equal(Math.Min(size, endpoints), s.Count));
        var ideal = (double)clients * Math.Min(size, endpoints) / endpoints;
        var counts = ClientsPerEndpoint(members, subsets).Values;
        Assert.All(counts, c => Assert.InRange(c, Math.Floor(ideal), Math.Ceiling(ideal)));
    }

    [Fact]
    public void Build_MembersInAnotherOrder_GiveTheSameSubsets()
    {
        var members = Endpoints(200, 0, "a", "b", "c");
        var shuffled = members.Reverse().ToArray();

        var first = Subsets(members, 30, 12);
        var second = Subsets(shuffled, 30, 12);

        for (var c = 0; c < 30; c++)
        {
            Assert.Equal(first[c].Order(), second[c].Order());
        }
    }

    [Fact]
    public void Select_PinnedCoordinate_GivesThePinnedSubset()
    {
        // Pins the construction: a change here moves every client's connections when a fleet upgrades.
        var members = Endpoints(20);
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var buffer = new int[20];

        var count = ring.Select(ring.StartOf(new PeerCoordinate(3, 10)), 5, [], buffer);

        Assert.Equal(PinnedSubset, string.Join(' ', buffer[..count].Select(i => i.ToString(CultureInfo.InvariantCulture))));
    }

    // Recorded from the first run of the implementation.
    private const string PinnedSubset = "2 6 5 1 11";

    [Fact]
    public void Select_ThreeZones_EveryWindowHoldsEachZoneInProportionWithinOne()
    {
        // 50 % a, 30 % b, 20 % c.
        var members = Endpoints(100).Select((e, i) => new LoadBalancedEndpoint(e.Address, i < 50 ? "a" : i < 80 ? "b" : "c")).ToArray();
        var zoneOf = members.ToDictionary(m => m.Id, m => m.Zone!);

        var subsets = Subsets(members, 40, 10);

        foreach (var subset in subsets)
        {
            var byZone = subset.GroupBy(id => zoneOf[id]).ToDictionary(g => g.Key, g => g.Count());
            Assert.InRange(byZone.GetValueOrDefault("a"), 4, 6);
            Assert.InRange(byZone.GetValueOrDefault("b"), 2, 4);
            Assert.InRange(byZone.GetValueOrDefault("c"), 1, 3);
        }

        var counts = ClientsPerEndpoint(members, subsets).Values;
        Assert.All(counts, c => Assert.InRange(c, 4, 4));
    }

    [Fact]
    public void Select_LocalZone_TakesOnlyTheLocalZoneAndBalancesItsClients()
    {
        var members = Endpoints(90, 0, "a", "b", "c");
        var local = members.Where(m => m.Zone == "b").Select(m => m.Id).ToHashSet();

        var subsets = Subsets(members, 6, 10, SubsetZoneMode.LocalZone, "B");

        Assert.All(subsets, s => Assert.Subset(local, s));
        var counts = ClientsPerEndpoint(members.Where(m => m.Zone == "b"), subsets).Values;
        Assert.All(counts, c => Assert.Equal(2, c));
    }

    [Fact]
    public void Build_LocalZoneWithoutEndpoints_UsesAllZones()
    {
        var ring = SubsetRing.Build(Endpoints(30, 0, "a", "b"), SubsetZoneMode.LocalZone, "z");

        Assert.False(ring.IsLocalOnly);
        Assert.Equal(30, ring.Count);
    }

    [Fact]
    public void Select_UnhealthyMember_ReplacedFromTheSameZoneAfterTheWindowThenHandedBack()
    {
        var members = Endpoints(60, 0, "a", "b", "c");
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var start = ring.StartOf(new PeerCoordinate(4, 12));
        var buffer = new int[60];
        var count = ring.Select(start, 9, [], buffer);
        var baseSubset = buffer[..count].ToArray();
        var healthy = Enumerable.Repeat(true, 60).ToArray();
        var sick = baseSubset[2];
        healthy[sick] = false;

        count = ring.Select(start, 9, healthy, buffer);
        var whileSick = buffer[..count].ToArray();

        // The same size, without the sick member, with the first member of its zone after the window in its place.
        Assert.Equal(9, count);
        Assert.DoesNotContain(sick, whileSick);
        var replacement = Assert.Single(whileSick.Except(baseSubset));
        Assert.Equal(members[sick].Zone, members[replacement].Zone);
        var expected = Enumerable.Range(9, 51).Select(k => ring.MemberAt((start + k) % 60)).First(m => members[m].Zone == members[sick].Zone);
        Assert.Equal(expected, replacement);

        // Recovered: the subset is handed back.
        healthy[sick] = true;
        count = ring.Select(start, 9, healthy, buffer);
        Assert.Equal(baseSubset, buffer[..count].ToArray());
    }

    [Fact]
    public void Select_ClientsSharingASickMember_ReplaceItWithDifferentEndpoints()
    {
        var members = Endpoints(100);
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var slots = PeerGrid.Slots(20);
        var phase = PeerGrid.Phase(20);
        var buffer = new int[100];
        var healthy = Enumerable.Repeat(true, 100).ToArray();
        healthy[ring.MemberAt(50)] = false;

        var replacements = new List<int>();
        for (var c = 0; c < 20; c++)
        {
            var start = ring.StartOf(slots[c], phase, 20);
            var all = buffer[..ring.Select(start, 20, [], buffer)].ToArray();
            var now = buffer[..ring.Select(start, 20, healthy, buffer)].ToArray();
            replacements.AddRange(now.Except(all));
        }

        // 4 clients had it (20 × 20 / 100); each takes a different endpoint in its place.
        Assert.Equal(4, replacements.Count);
        Assert.Equal(4, replacements.Distinct().Count());
    }

    [Fact]
    public void Select_NothingHealthyAfterTheWindow_TakesAnyZone()
    {
        var members = Endpoints(20, 0, "a", "b");
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var start = ring.StartOf(new PeerCoordinate(0, 2));
        var buffer = new int[20];
        var baseSubset = buffer[..ring.Select(start, 4, [], buffer)].ToArray();
        var healthy = members.Select(m => m.Zone == "b").ToArray();

        var count = ring.Select(start, 4, healthy, buffer);

        Assert.Equal(4, count);
        Assert.All(buffer[..count].ToArray(), m => Assert.Equal("b", members[m].Zone));
        Assert.Equal(baseSubset.Count(m => members[m].Zone == "b"), buffer[..count].ToArray().Intersect(baseSubset).Count());
    }

    [Fact]
    public void Select_NothingHealthy_ReturnsTheWindowForFailOpen()
    {
        var members = Endpoints(10);
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var buffer = new int[10];
        var baseSubset = buffer[..ring.Select(3, 4, [], buffer)].ToArray();

        var count = ring.Select(3, 4, new bool[10], buffer);

        Assert.Equal(baseSubset, buffer[..count].ToArray());
    }

    [Fact]
    public void Select_HealthOfWrongLength_Throws()
    {
        var ring = SubsetRing.Build(Endpoints(10), SubsetZoneMode.Proportional, null);

        Assert.Throws<ArgumentException>(() => ring.Select(0, 4, new bool[9], new int[10]));
    }
}
