namespace Loadstone.Discovery.Dns;

/// <summary>Maps the weights of one SRV priority group (0 to 65,535) to endpoint weights (1 to 10,000).</summary>
/// <remarks>
/// RFC 2782: within a priority, targets are chosen in proportion to their weights; a weight of 0 gives "a very small
/// chance of being selected" when others are larger, and when all are 0 every target is equally likely. So: all 0 →
/// equal weights of 1; otherwise each weight is scaled so that the largest becomes 10,000, proportions kept, and a 0
/// (or a weight that rounds to 0) becomes 1 — the smallest share an endpoint weight can express without meaning
/// "no traffic at all", which is what an endpoint weight of 0 means in Loadstone.
/// </remarks>
internal static class SrvWeights
{
    public static int[] Map(IReadOnlyList<int> weights)
    {
        var result = new int[weights.Count];
        var max = 0;
        foreach (var weight in weights)
        {
            max = Math.Max(max, weight);
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] = max == 0
                ? 1
                : (int)Math.Max(1, Math.Round(weights[i] * (double)LoadBalancedEndpoint.MaxWeight / max, MidpointRounding.AwayFromZero));
        }

        return result;
    }
}
