namespace Loadstone;

/// <summary>Two distinct random candidates; the one with fewer in-flight requests per unit of weight wins.</summary>
internal sealed class PowerOfTwoChoicesStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.PowerOfTwoChoices;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var n = candidates.Count;
        if (n == 1)
        {
            return 0;
        }

        var (a, b) = TwoDistinct(random, n);
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var loadA = (endpoints[a].ActiveRequests + 1) / weights[a];
        var loadB = (endpoints[b].ActiveRequests + 1) / weights[b];
        return loadB < loadA ? b : a;
    }

    internal static (int First, int Second) TwoDistinct(Random random, int count)
    {
        var a = random.Next(count);
        var b = random.Next(count - 1);
        return (a, b >= a ? b + 1 : b);
    }
}
