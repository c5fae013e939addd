namespace Loadstone;

/// <summary>The least in-flight requests per unit of weight, by a full scan; ties broken uniformly at random.</summary>
internal sealed class LeastRequestsStrategy(Random random) : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.LeastRequests;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var n = endpoints.Length;

        // First pass: the least load and how many share it. Second: the k-th of those with k uniform, so every tied
        // endpoint is equally likely (a random starting point alone favours the one after a run of busy endpoints).
        var best = 0;
        var bestLoad = double.MaxValue;
        var ties = 0;
        for (var i = 0; i < n; i++)
        {
            var load = (endpoints[i].ActiveRequests + 1) / weights[i];
            if (load < bestLoad)
            {
                bestLoad = load;
                best = i;
                ties = 1;
            }
            else if (load == bestLoad)
            {
                ties++;
            }
        }

        if (ties <= 1)
        {
            return best;
        }

        var k = random.Next(ties);
        for (var i = best; i < n; i++)
        {
            if ((endpoints[i].ActiveRequests + 1) / weights[i] == bestLoad && k-- == 0)
            {
                return i;
            }
        }

        // In-flight counts moved between the passes; the first least loaded is as good an answer.
        return best;
    }
}
