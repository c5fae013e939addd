namespace Loadstone.Scaling;

/// <summary>The built-in metrics of one tick, averaged over the in-service instances past warmup; <see langword="null"/> for no data.</summary>
internal readonly record struct BuiltInSample(double? InFlight, double? RequestRate, double? Latency);

/// <summary>
/// Reads the built-in metrics from the attached pool's endpoint states: in-flight requests, requests per instance per
/// minute (from the growth of each endpoint's request counter since the previous tick) and latency. Called under the
/// group's lock, once per reconcile pass that has policies.
/// </summary>
internal sealed class MetricSampler(GroupContext context)
{
    private readonly Dictionary<string, long> _lastTotals = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastSample;

    public BuiltInSample Sample(DateTimeOffset now)
    {
        var elapsed = _lastSample is { } last ? now - last : TimeSpan.Zero;
        _lastSample = now;
        if (context.Pool is not { } pool)
        {
            return default;
        }

        var states = pool.RoutedStates();
        var inFlight = 0.0;
        var latency = 0.0;
        long requests = 0;
        var measured = 0;
        foreach (var instance in context.Instances)
        {
            if (instance.State != ScalingInstanceState.InService || !states.TryGetValue(instance.Endpoint!.Id, out var state))
            {
                continue;
            }

            // Keep the request counter current during warmup so the first measured period starts from here.
            var total = state.TotalRequests;
            var previous = _lastTotals.TryGetValue(instance.Id, out var p) ? p : total;
            _lastTotals[instance.Id] = total;
            if (context.IsWarming(instance, now))
            {
                continue;
            }

            measured++;
            inFlight += state.ActiveRequests;
            latency += state.Latency.TotalMilliseconds;
            requests += total - previous;
        }

        if (measured == 0)
        {
            return default;
        }

        double? rate = elapsed > TimeSpan.Zero ? requests / (double)measured / elapsed.TotalMinutes : null;
        return new BuiltInSample(inFlight / measured, rate, latency / measured);
    }

    /// <summary>Forgets a terminated instance's request counter.</summary>
    public void Forget(ScalingInstance instance) => _lastTotals.Remove(instance.Id);
}
