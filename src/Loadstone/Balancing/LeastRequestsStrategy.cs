namespace Loadstone;

/// <summary>
/// The least in-flight requests per unit of healthy capacity, (in-flight + 1) ÷ (weight × (1 − recent failure rate)), by
/// a full scan. Ties, and more generally the candidates with the same in-flight count and failure rate as the least
/// loaded, are broken at random in proportion to weight, so with one request at a time each endpoint's share follows
/// its weight (a slow-start ramp included).
/// </summary>
internal sealed class LeastRequestsStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.LeastRequests;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var n = endpoints.Length;

        // First pass: the least load, and how many candidates share its in-flight count and failure rate (with equal
        // weights, exactly those with the same load). Second: one of those, the k-th uniformly with equal weights (a
        // random starting point alone favours the one after a run of busy endpoints), else by weight.
        var best = 0;
        var bestLoad = double.MaxValue;
        var bestActive = -1;
        var bestFailing = 0d;
        var ties = 0;
        var tiedWeight = 0d;
        for (var i = 0; i < n; i++)
        {
            var active = endpoints[i].ActiveRequests;
            var failing = endpoints[i].RecentFailureRate;
            var load = PowerOfTwoChoicesStrategy.Load(active, weights[i], failing);
            if (load < bestLoad)
            {
                // A new least load with another in-flight count starts a new group of ties. (With unequal weights an earlier
                // candidate of the new group may be missed here; the second pass still finds it.)
                if (active != bestActive || failing != bestFailing)
                {
                    (ties, tiedWeight) = (0, 0);
                }

                (best, bestLoad, bestActive, bestFailing) = (i, load, active, failing);
                ties++;
                tiedWeight += weights[i];
            }
            else if (active == bestActive && failing == bestFailing)
            {
                ties++;
                tiedWeight += weights[i];
            }
        }

        if (ties <= 1)
        {
            return best;
        }

        var uniform = candidates.HasUniformWeights;
        var k = uniform ? random.Next(ties) : 0;
        var target = uniform ? 0 : random.NextDouble() * tiedWeight;
        for (var i = 0; i < n; i++)
        {
            if (endpoints[i].ActiveRequests != bestActive || endpoints[i].RecentFailureRate != bestFailing)
            {
                continue;
            }

            if (uniform ? k-- == 0 : (target -= weights[i]) < 0)
            {
                return i;
            }
        }

        // In-flight counts moved between the passes; the least loaded is as good an answer.
        return best;
    }
}
