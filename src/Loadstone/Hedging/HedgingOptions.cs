namespace Loadstone;

/// <summary>
/// Hedged requests, as Finagle's backup requests: when an attempt of a request that may be sent twice (the same rule as
/// retries: an idempotent method, or <see cref="RetryOptions.RetryNonIdempotent"/>, and content that can be sent again)
/// has not answered after a delay, a second attempt goes to an endpoint not tried yet; the first good answer wins and the
/// other attempt is cancelled. A budget keeps the extra requests at most <see cref="MaxExtraLoadPercent"/> of requests
/// (plus one per second, so that a client with little traffic may hedge too).
/// </summary>
/// <remarks>
/// The delay is <see cref="Delay"/> when set; otherwise the (100 − <see cref="MaxExtraLoadPercent"/> ÷ 2)th percentile of
/// the pool's recent attempt latencies (p97.5 by default: half the budget in a steady state, half for bursts), recomputed
/// every second over the last 10 seconds, at least 1 ms, and only once 100 latencies have been seen. One hedge per
/// request; the synchronous <c>HttpClient.Send</c> never hedges.
/// </remarks>
public sealed class HedgingOptions
{
    /// <summary>The default of <see cref="MaxExtraLoadPercent"/>: 5.</summary>
    public const int DefaultMaxExtraLoadPercent = 5;

    /// <summary>Whether requests are hedged. The default is <see langword="false"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// A fixed delay before the hedge, 1 ms to 1 min; <see langword="null"/> (the default) uses a percentile of recent
    /// latency chosen by <see cref="MaxExtraLoadPercent"/>, as Finagle's <c>idempotent(maxExtraLoad)</c> does.
    /// </summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>
    /// The most extra load hedging may add, as a percentage of requests over the last 10 seconds (plus one hedge per second),
    /// 1 to 50. The default is 5. Without a fixed <see cref="Delay"/>, hedges are sent at the (100 − this ÷ 2)th percentile
    /// of latency.
    /// </summary>
    public int MaxExtraLoadPercent { get; set; } = DefaultMaxExtraLoadPercent;

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    internal List<string> Validate(string service)
    {
        var problems = new List<string>();
        var check = new OptionChecks(problems, service, $"LoadBalancing:Services:{service}", "Hedging:");
        if (Delay is { } delay)
        {
            check.Range(nameof(Delay), delay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        }

        check.Range(nameof(MaxExtraLoadPercent), MaxExtraLoadPercent, 1, 50);
        return problems;
    }
}
