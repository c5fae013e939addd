using System.Diagnostics;

namespace Loadstone;

/// <summary>
/// The live state the balancer keeps for one endpoint of one <see cref="ServicePool"/>: health, in-flight requests,
/// latency, counters. Strategies read it to decide; the pool updates it as requests complete.
/// </summary>
/// <remarks>
/// Reads are lock-free and may be a moment stale. The state survives membership reloads for as long as the
/// endpoint stays in the pool, so counters and latency history are not lost when the endpoint set changes.
/// </remarks>
[DebuggerDisplay("{Endpoint} {Health} in-flight={ActiveRequests}")]
public sealed class EndpointState
{
    private readonly TimeProvider _timeProvider;
    private readonly double _tauTicks;
    private readonly IOutcomeObserver? _observer;

    private int _activeRequests;
    private long _totalRequests;
    private long _failedRequests;

    // Peak-EWMA of round-trip time in timestamp ticks, and the timestamp of its last update.
    // Updated without a lock: two racing completions may lose one observation, which is harmless.
    private double _latencyCost;
    private long _latencyStamp;

    // Passive health counters, bumped on the request path (by the outcome observer).
    private int _consecutiveServerErrors;
    private int _consecutiveGatewayErrors;
    private int _consecutiveLocalFailures;
    private int _consecutiveUnreachable;
    private bool _ejectionPending;

    // Where the failure-rate window last ended, in the lifetime counters: the control plane's alone. The window is the
    // difference, so the request path counts each completion once (no separate window counters to bump).
    private long _windowStartRequests;
    private long _windowStartFailures;

    // The share of recent attempts that failed, an average over completions that forgets with time (housekeeping).
    private double _recentFailures;

    // Until when (a timestamp of the pool's clock) picks avoid the endpoint: a Retry-After it sent. 0: none.
    private long _retryAfterUntil;

    /// <summary>The least latency a failed request is recorded with: 1 second.</summary>
    internal static readonly TimeSpan FailureLatencyPenalty = TimeSpan.FromSeconds(1);

    /// <summary>The weight of one attempt in <see cref="RecentFailureRate"/>: each failure halves the distance to 1, each success halves the rate.</summary>
    internal const double RecentFailureWeight = 0.5;

    /// <summary>The highest <see cref="RecentFailureRate"/> a strategy divides by (1 − rate) with: at most 100 times the load.</summary>
    internal const double MaxRecentFailureRate = 0.99;

    internal EndpointState(LoadBalancedEndpoint endpoint, TimeProvider timeProvider, TimeSpan decayTime, TimeSpan initialLatency,
        IOutcomeObserver? observer = null)
    {
        Endpoint = endpoint;
        _timeProvider = timeProvider;
        _observer = observer;
        _tauTicks = decayTime.TotalSeconds * timeProvider.TimestampFrequency;
        _latencyCost = initialLatency.TotalSeconds * timeProvider.TimestampFrequency;
        _latencyStamp = timeProvider.GetTimestamp();
    }

    /// <summary>The endpoint this state belongs to.</summary>
    public LoadBalancedEndpoint Endpoint { get; internal set; }

    /// <summary>The endpoint's state, like an ALB target's.</summary>
    public EndpointHealth Health { get; internal set; }

    /// <summary>Why the endpoint is in its <see cref="Health"/> state.</summary>
    public EndpointHealthReason HealthReason { get; internal set; }

    /// <summary>Requests sent to this endpoint that have not completed yet.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Requests completed by this endpoint since it joined the pool, whatever their outcome (caller cancellations excepted).</summary>
    public long TotalRequests => Volatile.Read(ref _totalRequests);

    /// <summary>Requests that completed with a failure outcome (not counting caller cancellations).</summary>
    public long FailedRequests => Volatile.Read(ref _failedRequests);

    /// <summary>
    /// The peak-sensitive moving average of latency (Finagle's peak EWMA): it jumps to a new peak at once and
    /// decays towards recent values with the pool's <see cref="LoadBalancingOptions.LatencyDecayTime"/>. A failed request counts as
    /// taking at least 1 second, so an endpoint that fails fast does not look fast; an attempt of the HTTP handler that was
    /// cancelled (by its caller, or because its hedge answered first) counts as a lower bound: it raises the average when
    /// it took longer, and never lowers it.
    /// </summary>
    public TimeSpan Latency => TimeSpan.FromSeconds(LatencyCostTicks(_timeProvider.GetTimestamp()) / _timeProvider.TimestampFrequency);

    /// <summary>
    /// The share of recent attempts that failed, 0 to 1: each completed attempt moves it half-way toward 1 (a failure) or
    /// 0 (a success), and it decays toward 0 with the pool's <see cref="LoadBalancingOptions.LatencyDecayTime"/> while no
    /// attempt completes. Load-aware strategies divide an endpoint's capacity by it (Linkerd's failure-aware balancing),
    /// so an endpoint that fails fast does not look idle.
    /// </summary>
    public double RecentFailureRate => Volatile.Read(ref _recentFailures);

    // ---- Control-plane state, written under the pool's lock. ----

    /// <summary>Consecutive passing and failing active probes.</summary>
    internal int ProbeSuccesses { get; set; }

    internal int ProbeFailures { get; set; }

    /// <summary>The health the active checks alone give (Initial, Healthy, Unhealthy or Unavailable).</summary>
    internal EndpointHealth ActiveHealth { get; set; }

    internal EndpointHealthReason ActiveReason { get; set; }

    /// <summary>When an outlier ejection ends; null when not ejected.</summary>
    internal DateTimeOffset? EjectedUntil { get; set; }

    internal EndpointHealthReason EjectionReason { get; set; }

    /// <summary>When the last ejection ended; backoff decays only after a whole quiet interval since.</summary>
    internal DateTimeOffset EjectionEndedAt { get; set; }

    /// <summary>Ejections so far, less one per quiet interval: the multiplier of the next ejection's length.</summary>
    internal int EjectionMultiplier { get; set; }

    /// <summary>
    /// Set on the request path when a consecutive-failure threshold is crossed, until the control plane has decided on
    /// the ejection and published it: picks skip the endpoint meanwhile, so the ejection takes effect at once although
    /// the snapshot is rebuilt off the request path.
    /// </summary>
    internal bool EjectionPending
    {
        get => Volatile.Read(ref _ejectionPending);
        set => Volatile.Write(ref _ejectionPending, value);
    }

    /// <summary>Ejections since the endpoint joined.</summary>
    internal int EjectionCount { get; set; }

    /// <summary>The last outlier decision that left the endpoint routable, or ejected it past the cap, for the status view.</summary>
    internal EndpointRoutingNote OutlierNote { get; set; }

    /// <summary>When <see cref="OutlierNote"/> was decided.</summary>
    internal DateTimeOffset OutlierNoteAt { get; set; }

    /// <summary>Whether the endpoint is in a zone that fails open on its own (per-zone routing), at the last snapshot.</summary>
    internal bool InFailingOpenZone { get; set; }

    /// <summary>Until when picks avoid the endpoint because it sent <c>Retry-After</c>: a timestamp of the pool's clock, 0 for none.</summary>
    internal long RetryAfterUntil => Volatile.Read(ref _retryAfterUntil);

    /// <summary>The failures since its last success (without the split, the server-error streak counts every failure).</summary>
    internal int FailureStreak => Math.Max(Volatile.Read(ref _consecutiveServerErrors), Volatile.Read(ref _consecutiveLocalFailures));

    // Streak counters, for the outcome observer (the request path bumps them with Interlocked).
    internal ref int ConsecutiveServerErrors => ref _consecutiveServerErrors;

    internal ref int ConsecutiveGatewayErrors => ref _consecutiveGatewayErrors;

    internal ref int ConsecutiveLocalFailures => ref _consecutiveLocalFailures;

    internal ref int ConsecutiveUnreachable => ref _consecutiveUnreachable;

    /// <summary>When slow start began; null when not in slow start.</summary>
    internal DateTimeOffset? SlowStartSince { get; set; }

    /// <summary>The weight multiplier of slow start, 0 to 1; 1 outside slow start.</summary>
    internal double WeightFactor { get; set; } = 1;

    /// <summary>When a draining endpoint is dropped at the latest; null when not draining.</summary>
    internal DateTimeOffset? DrainDeadline { get; set; }

    /// <summary>
    /// Registered while no endpoint was healthy, so its first turn to healthy does not start slow start (ALB: targets
    /// registered together do not ramp). Cleared once it has been healthy, or judged unhealthy.
    /// </summary>
    internal bool SkipsFirstSlowStart { get; set; }

    /// <summary>Whether the endpoint was routable at the last snapshot, to see it become routable (for slow start).</summary>
    internal bool WasRoutable { get; set; }

    internal bool IsRoutable => Health is EndpointHealth.Healthy or EndpointHealth.Unchecked;

    // ---- Request path. ----

    internal void OnStart() => Interlocked.Increment(ref _activeRequests);

    /// <summary>Whether picks should avoid the endpoint right now: its ejection is being decided, or it asked for a pause.</summary>
    internal bool ShouldAvoid(long now) => _ejectionPending || (_retryAfterUntil != 0 && Volatile.Read(ref _retryAfterUntil) > now);

    /// <summary>Keeps picks away until <paramref name="until"/> (a timestamp of the pool's clock), unless already later.</summary>
    internal void AvoidUntil(long until)
    {
        var current = Volatile.Read(ref _retryAfterUntil);
        while (until > current)
        {
            var seen = Interlocked.CompareExchange(ref _retryAfterUntil, until, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <param name="startTimestamp">When the lease started.</param>
    /// <param name="endTimestamp">When it ended.</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="latencyLowerBound">
    /// For <see cref="RequestOutcome.Canceled"/>: the lease was an attempt whose answer would have taken at least this long
    /// (the send loop's cancelled attempts). Other cancelled leases (a connection's lifetime) record nothing.
    /// </param>
    internal void OnComplete(long startTimestamp, long endTimestamp, RequestOutcome outcome, bool latencyLowerBound = false)
    {
        Interlocked.Decrement(ref _activeRequests);
        var rtt = endTimestamp - startTimestamp;
        if (outcome == RequestOutcome.Canceled)
        {
            // Nothing is known of the endpoint's health, but the answer would have taken at least this long: a node slower
            // than its callers' timeouts must not look fast because every attempt on it was cancelled.
            if (latencyLowerBound && rtt > LatencyCostTicks(endTimestamp))
            {
                ObserveLatency(rtt, endTimestamp);
            }

            return;
        }

        Interlocked.Increment(ref _totalRequests);
        if (outcome == RequestOutcome.Success)
        {
            ObserveLatency(rtt, endTimestamp);
            // Write only when needed, so healthy traffic does not bounce the cache line between cores.
            if ((_consecutiveServerErrors | _consecutiveGatewayErrors | _consecutiveLocalFailures | _consecutiveUnreachable) != 0)
            {
                _consecutiveServerErrors = _consecutiveGatewayErrors = _consecutiveLocalFailures = _consecutiveUnreachable = 0;
            }

            var recent = _recentFailures;
            if (recent != 0)
            {
                Volatile.Write(ref _recentFailures, recent < 0.001 ? 0 : recent * (1 - RecentFailureWeight));
            }

            return;
        }

        // A failure counts as at least FailureLatencyPenalty: a refused connection fails in microseconds, and would
        // otherwise look like the fastest endpoint of all to latency-aware strategies.
        ObserveLatency(Math.Max(rtt, (long)(FailureLatencyPenalty.TotalSeconds * _timeProvider.TimestampFrequency)), endTimestamp);
        Volatile.Write(ref _recentFailures, (_recentFailures * (1 - RecentFailureWeight)) + RecentFailureWeight);
        Interlocked.Increment(ref _failedRequests);
        _observer?.OnFailure(this, outcome);
    }

    /// <summary>Control plane: lets <see cref="RecentFailureRate"/> forget by <paramref name="factor"/> (a decay over time).</summary>
    internal void DecayRecentFailures(double factor)
    {
        var recent = Volatile.Read(ref _recentFailures);
        if (recent != 0)
        {
            Volatile.Write(ref _recentFailures, recent < 0.001 ? 0 : recent * factor);
        }
    }

    /// <summary>Control plane: the failure-rate window, (requests, failures) completed since the last call, and a new one.</summary>
    internal (int Requests, int Failures) TakeWindow()
    {
        // Failures first: a completion counts its request before its failure, so every failure read here has its request
        // in the total read after it, and a window never holds more failures than requests.
        var failures = Volatile.Read(ref _failedRequests);
        var requests = Volatile.Read(ref _totalRequests);
        var window = ((int)Math.Min(requests - _windowStartRequests, int.MaxValue), (int)Math.Min(failures - _windowStartFailures, int.MaxValue));
        (_windowStartRequests, _windowStartFailures) = (requests, failures);
        return window;
    }

    /// <summary>A fresh start after an ejection: no streak, no recent failures.</summary>
    internal void ResetConsecutiveFailures()
    {
        _consecutiveServerErrors = _consecutiveGatewayErrors = _consecutiveLocalFailures = _consecutiveUnreachable = 0;
        Volatile.Write(ref _recentFailures, 0);
    }

    /// <summary>Current cost: the EWMA decayed to <paramref name="now"/> (without writing it back).</summary>
    internal double LatencyCostTicks(long now)
    {
        var cost = Volatile.Read(ref _latencyCost);
        var elapsed = now - Volatile.Read(ref _latencyStamp);
        return elapsed <= 0 ? cost : cost * Math.Exp(-elapsed / _tauTicks);
    }

    private void ObserveLatency(long rttTicks, long now)
    {
        var elapsed = Math.Max(now - _latencyStamp, 0);
        var cost = _latencyCost;
        if (rttTicks > cost)
        {
            cost = rttTicks;
        }
        else
        {
            var w = Math.Exp(-elapsed / _tauTicks);
            cost = (cost * w) + (rttTicks * (1 - w));
        }

        Volatile.Write(ref _latencyCost, cost);
        Volatile.Write(ref _latencyStamp, now);
    }
}

/// <summary>Hears about failures on the request path, to count streaks and eject outliers.</summary>
internal interface IOutcomeObserver
{
    /// <param name="state">The endpoint.</param>
    /// <param name="outcome">The failure: anything but <see cref="RequestOutcome.Success"/> and <see cref="RequestOutcome.Canceled"/>.</param>
    void OnFailure(EndpointState state, RequestOutcome outcome);
}
