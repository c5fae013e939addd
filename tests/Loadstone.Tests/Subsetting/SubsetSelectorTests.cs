namespace Loadstone.Tests.Subsetting;

public sealed class SubsetSelectorTests
{
    [Theory]
    [InlineData(SubsettingMode.Deterministic, 50, 10_000, 1000, 50)]
    [InlineData(SubsettingMode.Deterministic, 50, 30, 1000, 30)]
    [InlineData(SubsettingMode.Aperture, 12, 10_000, 1000, 20)] // 2 client units of 10 endpoints
    [InlineData(SubsettingMode.Aperture, 12, 100, 1000, 12)]
    [InlineData(SubsettingMode.Aperture, 12, 1000, 7, 143)] // ⌈1000 / 7⌉: every endpoint needs a client
    [InlineData(SubsettingMode.Aperture, 12, 5, 3, 5)]
    [InlineData(SubsettingMode.Off, 12, 40, 3, 40)]
    public void SizeFor_ModeAndFleet_IsTheExpectedSize(SubsettingMode mode, int setting, int endpoints, int clients, int expected)
    {
        var options = new SubsettingOptions { Mode = mode, SubsetSize = setting, MinAperture = setting };

        Assert.Equal(expected, SubsetSelector.SizeFor(options, endpoints, clients));
    }

    [Fact]
    public void Select_Aperture_EveryEndpointHasAClientAndAtMostOneMoreThanAnother()
    {
        var members = SubsetRingTests.Endpoints(1000);
        var counts = new int[1000];
        for (var c = 0; c < 7; c++)
        {
            var selector = new SubsetSelector("catalog", new SubsettingOptions { Mode = SubsettingMode.Aperture }.Coordinate(c, 7), null);
            var buffer = new int[1000];
            var count = selector.Select(members, [], buffer);
            Assert.Equal(143, count);
            foreach (var i in buffer[..count])
            {
                counts[i]++;
            }
        }

        Assert.InRange(counts.Min(), 1, 1);
        Assert.InRange(counts.Max(), 1, 2);
    }

    [Fact]
    public void Select_CoordinateSourceMoves_TheNextSelectFollowsIt()
    {
        var members = SubsetRingTests.Endpoints(100);
        var source = new TestPeerCoordinateSource(new PeerCoordinate(0, 10));
        var selector = new SubsetSelector("catalog", new SubsettingOptions { Mode = SubsettingMode.Deterministic, SubsetSize = 10 }, null, source);
        var fired = false;
        using var registration = source.GetChangeToken().RegisterChangeCallback(_ => fired = true, null);
        var buffer = new int[100];
        var first = buffer[..selector.Select(members, [], buffer)].ToHashSet();

        source.Move(new PeerCoordinate(5, 10));
        var second = buffer[..selector.Select(members, [], buffer)].ToHashSet();

        Assert.True(fired);
        Assert.Same(source, selector.Peers);
        Assert.Equal(10, second.Count);

        // Client 5 of 10 sits half way round the grid: no endpoint in common with client 0.
        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public void Select_MembershipChanges_TheRingIsRebuilt()
    {
        var members = SubsetRingTests.Endpoints(100);
        var selector = new SubsetSelector("catalog", new SubsettingOptions { Mode = SubsettingMode.Deterministic, SubsetSize = 10 }.Coordinate(3, 10), null);
        var buffer = new int[100];
        var before = buffer[..selector.Select(members, [], buffer)].Select(i => members[i].Id).ToHashSet();
        var gone = members.First(m => before.Contains(m.Id));
        var fewer = members.Where(m => m != gone).ToArray();

        var after = buffer[..selector.Select(fewer, [], buffer)].Select(i => fewer[i].Id).ToHashSet();

        Assert.Equal(10, after.Count);
        Assert.DoesNotContain(gone.Id, after);
        Assert.Equal(SubsetRingTests.Subsets(fewer, 10, 10)[3], after);
    }

    [Fact]
    public void Select_HealthChanges_ReplacesAndHandsBack()
    {
        var members = SubsetRingTests.Endpoints(50);
        var selector = new SubsetSelector("catalog", new SubsettingOptions { Mode = SubsettingMode.Deterministic, SubsetSize = 5 }.Coordinate(1, 4), null);
        var buffer = new int[50];
        var all = buffer[..selector.Select(members, [], buffer)].ToArray();
        var healthy = Enumerable.Repeat(true, 50).ToArray();
        healthy[all[0]] = false;

        var sick = buffer[..selector.Select(members, healthy, buffer)].ToArray();
        healthy[all[0]] = true;
        var back = buffer[..selector.Select(members, healthy, buffer)].ToArray();

        Assert.Equal(5, sick.Length);
        Assert.DoesNotContain(all[0], sick);
        Assert.Equal(all, back);
    }
}
