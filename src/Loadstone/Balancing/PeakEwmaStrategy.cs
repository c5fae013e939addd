namespace Loadstone;

/// <summary>Two distinct random candidates; the lower peak-EWMA latency × (in-flight + 1) ÷ weight wins.</summary>
internal sealed class PeakEwmaStrategy(Random random, TimeProvider timeProvider) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.PeakEwma;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var (a, b) = PowerOfTwoChoicesStrategy.TwoDistinct(random, n);
        var now = timeProvider.GetTimestamp();
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        return Cost(endpoints[b], weights[b], now) < Cost(endpoints[a], weights[a], now) ? b : a;
    }

    // The +1 tick keeps an idle, long-decayed endpoint's cost from collapsing to zero, so in-flight counts still count.
    private static double Cost(EndpointState endpoint, double weight, long now) =>
        (endpoint.LatencyCostTicks(now) + 1) * (endpoint.ActiveRequests + 1) / weight;
}
