namespace Loadstone.Scaling;

/// <summary>The built-in metrics of one tick, averaged over the in-service instances past warmup; <see langword="null"/> for no data.</summary>
internal readonly record struct BuiltInSample(double? InFlight, double? RequestRate, double? Latency);

/// <summary>
/// Reads the built-in metrics from the group's metrics source (<see cref="GroupContext.Metrics"/>: the attached pool,
/// or a fleet's figures): in-flight requests, requests per instance per minute and latency, averaged over the in-service
/// instances past warmup. Called under the group's lock, once per reconcile pass that has policies.
/// </summary>
internal sealed class MetricSampler(GroupContext context)
{
    public BuiltInSample Sample(DateTimeOffset now)
    {
        var load = context.Metrics.ReadLoad();
        if (load.Count == 0)
        {
            return default;
        }

        var inFlight = 0.0;
        var latency = 0.0;
        var rate = 0.0;
        var measured = 0;
        var rated = 0;
        foreach (var instance in context.Instances)
        {
            if (instance.State != ScalingInstanceState.InService || context.IsWarming(instance, now)
                || !load.TryGetValue(instance.Endpoint!.Id, out var figures))
            {
                continue;
            }

            measured++;
            inFlight += figures.InFlightRequests;
            latency += figures.LatencyMilliseconds;
            if (figures.RequestsPerMinute is { } perMinute)
            {
                rate += perMinute;
                rated++;
            }
        }

        return measured == 0
            ? default
            : new BuiltInSample(inFlight / measured, rated == 0 ? null : rate / rated, latency / measured);
    }
}
