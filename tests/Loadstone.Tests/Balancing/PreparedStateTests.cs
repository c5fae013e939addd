namespace Loadstone.Tests.Balancing;

/// <summary>
/// A typed strategy reads the state its own Prepare made for a set without a checked cast; a set prepared by another
/// strategy is still cast, so a mismatch fails loudly instead of being misread.
/// </summary>
public sealed class PreparedStateTests
{
    [Fact]
    public void Pick_SetPreparedByThisStrategy_ReadsItsOwnState()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, 1, 1, 2, 3);
        var set = pool.Snapshot.GetPipeline(null).Candidates;
        ILoadBalancingStrategy marker = new MarkerStrategy(index: 2);

        set.Prepare(marker);

        Assert.Same(marker, set.PreparedBy);
        Assert.Equal(2, marker.Pick(set, null));
    }

    [Fact]
    public void Pick_SetPreparedByAnotherStrategy_FailsWithAnInvalidCast()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, 1, 1, 2, 3);
        var set = pool.Snapshot.GetPipeline(null).Candidates;
        Assert.IsType<double[]>(set.StrategyState); // the pool's weighted Random prepared cumulative weights

        ILoadBalancingStrategy marker = new MarkerStrategy(index: 2);

        Assert.Throws<InvalidCastException>(() => marker.Pick(set, null));
    }

    [Fact]
    public void Pick_SetPreparedByAnotherInstanceOfTheSameType_StillReadsTheState()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.Random, 1, 1, 2, 3);
        var set = pool.Snapshot.GetPipeline(null).Candidates;
        set.Prepare(new MarkerStrategy(index: 1));

        // Another instance takes the checked path; the state is of its type, so it reads it.
        Assert.Equal(1, ((ILoadBalancingStrategy)new MarkerStrategy(index: 0)).Pick(set, null));
    }

    private sealed class MarkerStrategy(int index) : LoadBalancingStrategy<MarkerStrategy.State>
    {
        public override string Name => "Marker";

        protected override State Prepare(CandidateSet candidates) => new(index);

        protected override int Pick(CandidateSet candidates, State? prepared, HttpRequestMessage? request) => prepared!.Index;

        public sealed record State(int Index);
    }
}
