namespace Loadstone;

/// <summary>
/// A pool's hedging policy: when to send a hedge (a fixed delay, or a percentile of the recent latencies it records),
/// and the budget that bounds hedges to <see cref="HedgingOptions.MaxExtraLoadPercent"/> of requests over 10 seconds, plus
/// one per second.
/// The send loop asks it; it sends nothing itself.
/// </summary>
internal sealed class HedgingPolicy
{
    /// <summary>The shortest delay a percentile gives, as Finagle's: 1 ms, so a service answering in microseconds is not hedged at once.</summary>
    internal static readonly TimeSpan MinimumDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>Hedges always allowed per second on top of the percentage: 1.</summary>
    internal const int MinimumHedgesPerSecond = 1;

    private long _percentileDelayTicks;

    /// <param name="options">The hedging options.</param>
    /// <param name="timeProvider">The pool's clock.</param>
    /// <param name="latencies">The window to keep (on a reload), or null for a new one.</param>
    public HedgingPolicy(HedgingOptions options, TimeProvider timeProvider, LatencyWindow? latencies)
    {
        Options = options;
        // A floor of one hedge per second, so a client with little traffic may still hedge; Finagle's floor is 10.
        Budget = new RetryBudget(options.MaxExtraLoadPercent, MinimumHedgesPerSecond, timeProvider);
        Latencies = latencies ?? new LatencyWindow(timeProvider);
        Refresh();
    }

    public HedgingOptions Options { get; }

    public RetryBudget Budget { get; }

    public LatencyWindow Latencies { get; }

    /// <summary>How long an attempt may run before a hedge is sent; null while a percentile has too few latencies behind it.</summary>
    public TimeSpan? Delay => Options.Delay ?? (Volatile.Read(ref _percentileDelayTicks) is > 0 and var ticks ? TimeSpan.FromTicks(ticks) : null);

    /// <summary>
    /// The percentile the delay is read at: 100 − half the extra load (p97.5 by default). In a steady state about half the
    /// budget is then spent, and the other half absorbs bursts: a slow endpoint's requests pile up together, and a hedge
    /// the budget refuses leaves its request as slow as without hedging.
    /// </summary>
    internal static double DelayPercentile(int maxExtraLoadPercent) => 100 - (maxExtraLoadPercent / 2d);

    /// <summary>Control plane, once a second: recomputes the percentile delay.</summary>
    public void Refresh()
    {
        if (Options.Delay is null)
        {
            var percentile = Latencies.Percentile(DelayPercentile(Options.MaxExtraLoadPercent));
            Volatile.Write(ref _percentileDelayTicks, percentile is { } p ? Math.Max(p.Ticks, MinimumDelay.Ticks) : 0);
        }
    }

    /// <summary>
    /// Records an attempt's latency for the percentile, as Finagle's backup requests do: successes, timeouts and attempts
    /// that lost to a hedge (their elapsed time: a lower bound). Other failures are fast and would pull the delay down.
    /// </summary>
    public void Record(RequestOutcome outcome, long elapsedTicks, long now, bool lostToHedge)
    {
        if (outcome is RequestOutcome.Success or RequestOutcome.Timeout || lostToHedge)
        {
            Latencies.Record(elapsedTicks, now);
        }
    }
}
