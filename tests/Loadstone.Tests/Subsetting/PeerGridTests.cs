namespace Loadstone.Tests.Subsetting;

public sealed class PeerGridTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Slots_AnyCount_AreAPermutationAndAgreeWithSlotOf(int count)
    {
        var slots = PeerGrid.Slots(count);

        Assert.Equal(Enumerable.Range(0, count), slots.Order());
        Assert.All(Enumerable.Range(0, count), i => Assert.Equal(slots[i], PeerGrid.SlotOf(i, count)));
    }

    [Fact]
    public void Slots_FirstEight_FollowTheVanDerCorputOrder()
    {
        // Points 0, 1/2, 1/4, 3/4, 1/8, 5/8, 3/8, 7/8 → ranks 0, 4, 2, 6, 1, 5, 3, 7.
        Assert.Equal([0, 4, 2, 6, 1, 5, 3, 7], PeerGrid.Slots(8));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    [InlineData(1537)]
    public void Slots_OneClientJoins_NoOtherSlotMovesByMoreThanOne(int count)
    {
        var before = PeerGrid.Slots(count);
        var after = PeerGrid.Slots(count + 1);

        Assert.All(Enumerable.Range(0, count), i => Assert.InRange(after[i] - before[i], 0, 1));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, -0.25)]
    [InlineData(4, 0)]
    public void Phase_SmallCounts_IsTheMeanOffsetOfPointsFromSlots(int count, double expected)
    {
        Assert.Equal(expected, PeerGrid.Phase(count), 12);
    }
}
