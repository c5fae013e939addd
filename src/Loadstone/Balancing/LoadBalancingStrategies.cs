namespace Loadstone;

/// <summary>The names of the built-in strategies, as used in code and configuration (case-insensitive).</summary>
public static class LoadBalancingStrategies
{
    /// <summary>Each endpoint in turn, ignoring weights. Like an ALB target group's <c>round_robin</c>.</summary>
    public const string RoundRobin = nameof(RoundRobin);

    /// <summary>A random endpoint, in proportion to weights.</summary>
    public const string Random = nameof(Random);

    /// <summary>
    /// Interleaved weighted round robin: over every cycle of total-weight picks each endpoint gets exactly its
    /// weight's share, spread out rather than in bursts.
    /// </summary>
    public const string WeightedRoundRobin = nameof(WeightedRoundRobin);

    /// <summary>
    /// The endpoint with the fewest in-flight requests per unit of weight, by a full scan (O(n)); ties are broken at
    /// random. Like an ALB target group's <c>least_outstanding_requests</c>.
    /// </summary>
    public const string LeastRequests = nameof(LeastRequests);

    /// <summary>
    /// The default. Two random endpoints, and the one with fewer in-flight requests per unit of weight wins
    /// (Envoy's least-request with two choices). O(1), and close to the full scan in practice.
    /// </summary>
    public const string PowerOfTwoChoices = nameof(PowerOfTwoChoices);

    /// <summary>
    /// Latency-aware two choices (Finagle and Linkerd's peak EWMA): the cost of an endpoint is its peak-sensitive
    /// moving average latency times its in-flight requests plus one, divided by its weight.
    /// </summary>
    public const string PeakEwma = nameof(PeakEwma);

    /// <summary>
    /// Ordered failover: every request goes to the first available endpoint in the order the sources list them,
    /// the next one only when it is gone (active/passive high availability). Ignores weights.
    /// </summary>
    public const string FirstAvailable = nameof(FirstAvailable);

    /// <summary>The built-in names, in documentation order.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } =
        [RoundRobin, Random, WeightedRoundRobin, LeastRequests, PowerOfTwoChoices, PeakEwma, FirstAvailable];

    internal static ILoadBalancingStrategy? TryCreateBuiltIn(string name, StrategyContext context) => name.ToUpperInvariant() switch
    {
        "ROUNDROBIN" => new RoundRobinStrategy(),
        "RANDOM" => new RandomStrategy(context.Random),
        "WEIGHTEDROUNDROBIN" => new WeightedRoundRobinStrategy(),
        "LEASTREQUESTS" => new LeastRequestsStrategy(context.Random),
        "POWEROFTWOCHOICES" => new PowerOfTwoChoicesStrategy(context.Random),
        "PEAKEWMA" => new PeakEwmaStrategy(context.Random, context.TimeProvider),
        "FIRSTAVAILABLE" => new FirstAvailableStrategy(),
        _ => null,
    };
}
