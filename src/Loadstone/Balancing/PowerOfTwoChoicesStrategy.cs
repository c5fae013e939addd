namespace Loadstone;

/// <summary>
/// Two distinct candidates, the first drawn in proportion to weight (uniformly when weights are equal), the second
/// uniformly; the one with fewer in-flight requests per unit of healthy capacity wins: (in-flight + 1) ÷ (weight × (1 −
/// recent failure rate)). With equal in-flight counts and failure rates the first draw wins, so with one request at a
/// time each endpoint's share follows its weight (a slow-start ramp included) instead of the heavier always winning.
/// </summary>
internal sealed class PowerOfTwoChoicesStrategy(Random random) : LoadBalancingStrategy<AliasTable>
{
    public override string Name => LoadBalancingStrategies.PowerOfTwoChoices;

    protected override AliasTable? Prepare(CandidateSet candidates) => AliasTable.For(candidates);

    protected override int Pick(CandidateSet candidates, AliasTable? weighted, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var a = weighted?.Sample(random) ?? random.Next(n);
        var b = random.Next(n - 1);
        if (b >= a)
        {
            b++;
        }

        var endpoints = candidates.Endpoints;
        var (stateA, stateB) = (endpoints[a], endpoints[b]);
        var (activeA, activeB) = (stateA.ActiveRequests, stateB.ActiveRequests);
        var (failingA, failingB) = (stateA.RecentFailureRate, stateB.RecentFailureRate);
        if (activeA == activeB && failingA == failingB)
        {
            return a;
        }

        var weights = candidates.Weights;
        return Load(activeB, weights[b], failingB) < Load(activeA, weights[a], failingA) ? b : a;
    }

    /// <summary>
    /// In-flight requests (the new one included) per unit of capacity that answers: an endpoint failing most of its
    /// attempts is worth little however idle it looks (Linkerd's failure-aware balancing).
    /// </summary>
    internal static double Load(int active, double weight, double recentFailureRate) =>
        (active + 1) / Capacity(weight, recentFailureRate);

    /// <summary>The share of <paramref name="weight"/> that answers: the divisor of <see cref="Load"/>, always positive.</summary>
    internal static double Capacity(double weight, double recentFailureRate) =>
        weight * (1 - Math.Min(recentFailureRate, EndpointState.MaxRecentFailureRate));

    internal static (int First, int Second) TwoDistinct(Random random, int count)
    {
        var a = random.Next(count);
        var b = random.Next(count - 1);
        return (a, b >= a ? b + 1 : b);
    }
}
