using System.Diagnostics;

namespace Loadstone;

/// <summary>
/// The live state the balancer keeps for one endpoint of one <see cref="ServicePool"/>: in-flight requests,
/// latency, counters. Strategies read it to decide; the pool updates it as requests complete.
/// </summary>
/// <remarks>
/// Reads are lock-free and may be a moment stale. The state survives membership reloads for as long as the
/// endpoint stays in the pool, so counters and latency history are not lost when the endpoint set changes.
/// </remarks>
[DebuggerDisplay("{Endpoint} in-flight={ActiveRequests}")]
public sealed class EndpointState
{
    private int _activeRequests;
    private long _totalRequests;
    private long _failedRequests;

    // Peak-EWMA of round-trip time in timestamp ticks, and the timestamp of its last update.
    // Updated without a lock: two racing completions may lose one observation, which is harmless.
    private double _latencyCost;
    private long _latencyStamp;
    private readonly double _tauTicks;
    private readonly TimeProvider _timeProvider;

    internal EndpointState(Endpoint endpoint, TimeProvider timeProvider, TimeSpan decayTime, TimeSpan initialLatency)
    {
        Endpoint = endpoint;
        _timeProvider = timeProvider;
        _tauTicks = decayTime.TotalSeconds * timeProvider.TimestampFrequency;
        _latencyCost = initialLatency.TotalSeconds * timeProvider.TimestampFrequency;
        _latencyStamp = timeProvider.GetTimestamp();
    }

    /// <summary>The endpoint this state belongs to.</summary>
    public Endpoint Endpoint { get; internal set; }

    /// <summary>Requests sent to this endpoint that have not completed yet.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Requests completed by this endpoint since it joined the pool, whatever their outcome.</summary>
    public long TotalRequests => Volatile.Read(ref _totalRequests);

    /// <summary>Requests that completed with a failure outcome (not counting caller cancellations).</summary>
    public long FailedRequests => Volatile.Read(ref _failedRequests);

    /// <summary>
    /// The peak-sensitive moving average of latency (Finagle's peak EWMA): it jumps to a new peak at once and
    /// decays towards recent values with the pool's <see cref="LoadBalancingOptions.LatencyDecayTime"/>.
    /// </summary>
    public TimeSpan Latency => TimeSpan.FromSeconds(LatencyCostTicks(_timeProvider.GetTimestamp()) / _timeProvider.TimestampFrequency);

    internal void OnStart() => Interlocked.Increment(ref _activeRequests);

    internal void OnComplete(long startTimestamp, long endTimestamp, RequestOutcome outcome)
    {
        Interlocked.Decrement(ref _activeRequests);
        if (outcome == RequestOutcome.Canceled)
        {
            return;
        }

        Interlocked.Increment(ref _totalRequests);
        if (outcome != RequestOutcome.Success)
        {
            Interlocked.Increment(ref _failedRequests);
        }

        ObserveLatency(endTimestamp - startTimestamp, endTimestamp);
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
