namespace Loadstone;

/// <summary>
/// Two distinct candidates, drawn in proportion to weight (uniformly when weights are equal); the lower cost wins:
/// (peak-EWMA latency + 1 tick) × (in-flight + 1) ÷ (weight × (1 − recent failure rate)). With equal in-flight counts the
/// weight is left out of the comparison (it already decided the draw), so with one request at a time the faster
/// endpoint wins and, between equally fast ones, shares follow the weights (a slow-start ramp included).
/// </summary>
internal sealed class PeakEwmaStrategy(Random random, TimeProvider timeProvider) : LoadBalancingStrategy<AliasTable>
{
    public override string Name => LoadBalancingStrategies.PeakEwma;

    protected override AliasTable? Prepare(CandidateSet candidates) => AliasTable.For(candidates);

    protected override int Pick(CandidateSet candidates, AliasTable? weighted, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        int a, b;
        if (weighted is null)
        {
            (a, b) = PowerOfTwoChoicesStrategy.TwoDistinct(random, n);
        }
        else
        {
            a = weighted.Sample(random);
            b = weighted.SampleOther(random, a);
        }

        var now = timeProvider.GetTimestamp();
        var endpoints = candidates.Endpoints;
        var (stateA, stateB) = (endpoints[a], endpoints[b]);
        var (activeA, activeB) = (stateA.ActiveRequests, stateB.ActiveRequests);
        var weights = candidates.Weights;
        var (weightA, weightB) = activeA == activeB ? (1d, 1d) : (weights[a], weights[b]);
        return Cost(stateB, activeB, weightB, now) < Cost(stateA, activeA, weightA, now) ? b : a;
    }

    // The +1 tick keeps an idle, long-decayed endpoint's cost from collapsing to zero, so in-flight counts still count.
    private static double Cost(EndpointState endpoint, int active, double weight, long now) =>
        (endpoint.LatencyCostTicks(now) + 1) * PowerOfTwoChoicesStrategy.Load(active, weight, endpoint.RecentFailureRate);
}
