namespace Loadstone.Scaling;

/// <summary>The built-in metrics of one tick, averaged over the in-service instances past warmup; <see langword="null"/> for no data.</summary>
internal readonly record struct BuiltInSample(double? InFlight, double? RequestRate, double? Latency);

/// <summary>
/// Reads the built-in metrics from the group's metrics source (<see cref="GroupContext.Metrics"/>: the attached pool,
/// or a fleet's figures): in-flight requests and requests per minute over the in-service instances past warmup (the
/// load divided by the capacity measured, as ALBRequestCountPerTarget is), and their average latency. An instance
/// no balancer reports yet (a fleet's reports lag behind the registrations) counts as idle: no request can be in
/// flight to an instance nobody routes to. With no figures at all the sample is missing data. Called under the group's
/// lock, once per reconcile pass that has policies.
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
        var reported = 0;
        var rated = 0;
        foreach (var instance in context.Instances)
        {
            if (instance.State != ScalingInstanceState.InService || context.IsWarming(instance, now))
            {
                continue;
            }

            measured++;
            if (!load.TryGetValue(instance.Endpoint!.Id, out var figures))
            {
                continue;
            }

            reported++;
            inFlight += figures.InFlightRequests;
            latency += figures.LatencyMilliseconds;
            if (figures.RequestsPerMinute is { } perMinute)
            {
                rate += perMinute;
                rated++;
            }
        }

        return reported == 0
            ? default
            : new BuiltInSample(inFlight / measured, rated == 0 ? null : rate / measured, latency / reported);
    }
}
