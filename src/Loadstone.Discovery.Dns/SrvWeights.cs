namespace Loadstone.Discovery.Dns;

/// <summary>Maps the weights of one SRV priority group (0 to 65,535) to endpoint weights (1 to 10,000).</summary>
/// <remarks>
/// RFC 2782: within a priority, targets are chosen in proportion to their weights; a weight of 0 gives "a very small
/// chance of being selected" when others are larger, and when all are 0 every target is equally likely. So:
/// <list type="number">
/// <item>all 0: every endpoint gets weight 1 (equal shares);</item>
/// <item>none 0 and none above 10,000: the weights are used as they are;</item>
/// <item>otherwise (a 0 among positive weights, or a weight above 10,000): scaled so that the largest becomes 10,000,
/// proportions kept, and a 0 (or a weight that rounds to 0) becomes 1, the smallest share an endpoint weight can
/// express: in Loadstone an endpoint weight of 0 means no traffic at all, which is not what SRV weight 0 means.</item>
/// </list>
/// </remarks>
internal static class SrvWeights
{
    public static int[] Map(IReadOnlyList<int> weights)
    {
        var result = new int[weights.Count];
        int max = 0, min = int.MaxValue;
        foreach (var weight in weights)
        {
            max = Math.Max(max, weight);
            min = Math.Min(min, weight);
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] = max == 0 ? 1
                : min > 0 && max <= LoadBalancedEndpoint.MaxWeight ? weights[i]
                : (int)Math.Max(1, Math.Round(weights[i] * (double)LoadBalancedEndpoint.MaxWeight / max, MidpointRounding.AwayFromZero));
        }

        return result;
    }
}
