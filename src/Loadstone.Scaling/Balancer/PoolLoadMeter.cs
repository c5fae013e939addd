namespace Loadstone.Scaling;

/// <summary>
/// Measures a pool's endpoints for scaling: in-flight requests and latency as the pool reports them, and the request
/// rate from the growth of each endpoint's request counter since the previous measurement. What a client publishes to
/// a fleet's controller, and what a group of its own reads from its attached pool.
/// </summary>
/// <remarks>Not thread-safe: one caller measures at a time (a timer, or the group's reconcile pass).</remarks>
public sealed class PoolLoadMeter
{
    private readonly ServicePool _pool;
    private readonly TimeProvider _time;
    private Dictionary<string, long> _totals = new(StringComparer.Ordinal);
    private long _last;

    /// <summary>Creates a meter for a pool.</summary>
    /// <param name="pool">The pool.</param>
    /// <param name="timeProvider">The clock the rate is measured on; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public PoolLoadMeter(ServicePool pool, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The pool measured.</summary>
    public ServicePool Pool => _pool;

    /// <summary>
    /// Measures every endpoint now. The first measurement (and an endpoint's first) has no request rate.
    /// </summary>
    /// <returns>The routed endpoints' figures and the draining endpoints' ids.</returns>
    public BalancerReport Measure()
    {
        var now = _time.GetTimestamp();
        var minutes = _last == 0 ? 0 : _time.GetElapsedTime(_last, now).TotalMinutes;
        _last = now;
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, EndpointLoad>(StringComparer.Ordinal);
        List<string>? draining = null;
        foreach (var state in _pool.Endpoints)
        {
            var id = state.Endpoint.Id;
            var total = state.TotalRequests;
            var known = _totals.TryGetValue(id, out var previous);
            totals[id] = total;
            if (state.Health == EndpointHealth.Draining)
            {
                (draining ??= []).Add(id);
                continue;
            }

            double? rate = known && minutes > 0 ? Math.Max(0, total - previous) / minutes : null;
            endpoints.TryAdd(id, new EndpointLoad(state.ActiveRequests, rate, state.Latency.TotalMilliseconds));
        }

        _totals = totals;
        return new BalancerReport(endpoints, draining);
    }
}
