using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Loadstone;

/// <summary>
/// The library's metrics, on the meter named <see cref="MeterName"/>. Tags are bounded: service, endpoint (an address of
/// the pool), outcome, health state and reason; never a request's path, key or other user data.
/// </summary>
public static class LoadstoneMetrics
{
    /// <summary>The meter's name: <c>Loadstone</c>. Subscribe to it with OpenTelemetry's <c>AddMeter("Loadstone")</c> or dotnet-counters.</summary>
    public const string MeterName = "Loadstone";

    internal const string ServiceTag = "loadstone.service";
    internal const string EndpointTag = "loadstone.endpoint";
    internal const string OutcomeTag = "loadstone.outcome";
    internal const string HealthTag = "loadstone.endpoint.health";
    internal const string ReasonTag = "loadstone.endpoint.health_reason";
    internal const string StickyResultTag = "loadstone.sticky.result";
    internal const string ZoneKindTag = "loadstone.zone.kind";
    internal const string RuleTag = "loadstone.routing.rule";

    private static readonly Meter s_meter = new(MeterName, typeof(LoadstoneMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<ServicePool, byte> s_pools = new();

    internal static readonly Counter<long> Attempts = s_meter.CreateCounter<long>(
        "loadstone.attempts", "{attempt}", "Attempts sent to endpoints, by outcome (one request may make several attempts).");

    internal static readonly Histogram<double> AttemptDuration = s_meter.CreateHistogram<double>(
        "loadstone.attempt.duration", "s", "How long attempts took, from choosing the endpoint to the response headers or failure.");

    internal static readonly Counter<long> Requests = s_meter.CreateCounter<long>(
        "loadstone.requests", "{request}", "Requests routed through the handler, by their final outcome.");

    internal static readonly Counter<long> Retries = s_meter.CreateCounter<long>(
        "loadstone.retries", "{retry}", "Attempts that retried a failed attempt on another endpoint.");

    internal static readonly Counter<long> Ejections = s_meter.CreateCounter<long>(
        "loadstone.endpoint.ejections", "{ejection}", "Endpoints ejected by outlier detection, by reason.");

    internal static readonly Counter<long> FailOpenEpisodes = s_meter.CreateCounter<long>(
        "loadstone.pool.fail_open.episodes", "{episode}", "Times a pool started failing open.");

    internal static readonly Counter<long> MembershipChanges = s_meter.CreateCounter<long>(
        "loadstone.pool.membership.changes", "{change}", "Snapshots published with a different set of endpoints.");

    internal static readonly Counter<long> StickyDecisions = s_meter.CreateCounter<long>(
        "loadstone.sticky.decisions", "{decision}",
        "Sticky-session decisions of pools with a key source, by result: bound, new, rebound, none (no key), failed.");

    internal static readonly Counter<long> ZonePicks = s_meter.CreateCounter<long>(
        "loadstone.zone.picks", "{pick}", "Picks made by zone preference, by whether the endpoint is in the caller's zone (local) or not (remote).");

    internal static readonly Counter<long> RuleMatches = s_meter.CreateCounter<long>(
        "loadstone.routing.rule_matches", "{match}", "Requests matched by a routing rule, by rule name (or priority when unnamed).");

    static LoadstoneMetrics()
    {
        s_meter.CreateObservableGauge("loadstone.endpoint.active_requests", ObserveActive, "{request}", "Requests in flight per endpoint.");
        s_meter.CreateObservableGauge("loadstone.endpoint.health", ObserveHealth, "{endpoint}",
            "1 for each endpoint, tagged with its current state and reason.");
        s_meter.CreateObservableGauge("loadstone.endpoint.weight_factor", ObserveWeightFactor, "1",
            "The slow-start multiplier of each endpoint's weight (1 outside slow start).");
        s_meter.CreateObservableGauge("loadstone.pool.endpoints", ObserveMembers, "{endpoint}", "Endpoints per pool (draining ones included).");
        s_meter.CreateObservableGauge("loadstone.pool.fail_open", ObserveFailOpen, "1", "1 while the pool is failing open, else 0.");
    }

    internal static void Register(ServicePool pool) => s_pools.TryAdd(pool, 0);

    internal static void Unregister(ServicePool pool) => s_pools.TryRemove(pool, out _);

    internal static void RecordAttempt(string service, EndpointState state, RequestOutcome outcome, double seconds)
    {
        if (!Attempts.Enabled && !AttemptDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { ServiceTag, service },
            { EndpointTag, state.Endpoint.BaseAddress },
            { OutcomeTag, OutcomeName(outcome) },
        };
        Attempts.Add(1, tags);
        AttemptDuration.Record(seconds, tags);
    }

    /// <summary>Counts a sticky decision; <paramref name="result"/> is one of the constant result names, never a key.</summary>
    internal static void RecordStickyDecision(string service, string result)
    {
        if (StickyDecisions.Enabled)
        {
            StickyDecisions.Add(1, new KeyValuePair<string, object?>(ServiceTag, service), new KeyValuePair<string, object?>(StickyResultTag, result));
        }
    }

    /// <summary>Counts a pick made by zone preference.</summary>
    internal static void RecordZonePick(string service, bool local)
    {
        if (ZonePicks.Enabled)
        {
            ZonePicks.Add(1, new KeyValuePair<string, object?>(ServiceTag, service), new KeyValuePair<string, object?>(ZoneKindTag, local ? "local" : "remote"));
        }
    }

    /// <summary>Counts a request matched by a routing rule.</summary>
    internal static void RecordRuleMatch(string service, string rule)
    {
        if (RuleMatches.Enabled)
        {
            RuleMatches.Add(1, new KeyValuePair<string, object?>(ServiceTag, service), new KeyValuePair<string, object?>(RuleTag, rule));
        }
    }

    internal static string OutcomeName(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Success => "success",
        RequestOutcome.ServerError => "server_error",
        RequestOutcome.GatewayError => "gateway_error",
        RequestOutcome.ConnectionFailure => "connection_failure",
        RequestOutcome.Timeout => "timeout",
        RequestOutcome.Canceled => "canceled",
        _ => "unknown",
    };

    private static IEnumerable<Measurement<int>> ObserveActive() =>
        PerEndpoint(static s => s.ActiveRequests, static _ => []);

    private static IEnumerable<Measurement<int>> ObserveHealth() =>
        PerEndpoint(static _ => 1, static s =>
        [
            new KeyValuePair<string, object?>(HealthTag, s.Health.ToString()),
            new KeyValuePair<string, object?>(ReasonTag, s.HealthReason.ToString()),
        ]);

    private static IEnumerable<Measurement<double>> ObserveWeightFactor() =>
        PerEndpoint(static s => s.WeightFactor, static _ => []);

    /// <summary>One measurement per endpoint of every live pool, tagged with service and endpoint plus any extra tags.</summary>
    private static IEnumerable<Measurement<T>> PerEndpoint<T>(Func<EndpointState, T> value,
        Func<EndpointState, KeyValuePair<string, object?>[]> extraTags)
        where T : struct
    {
        foreach (var pool in s_pools.Keys)
        {
            foreach (var state in pool.Endpoints)
            {
                KeyValuePair<string, object?>[] tags =
                [
                    new(ServiceTag, pool.ServiceName),
                    new(EndpointTag, state.Endpoint.BaseAddress),
                    .. extraTags(state),
                ];
                yield return new Measurement<T>(value(state), tags);
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObserveMembers()
    {
        foreach (var pool in s_pools.Keys)
        {
            yield return new Measurement<int>(pool.Endpoints.Count, new KeyValuePair<string, object?>(ServiceTag, pool.ServiceName));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveFailOpen()
    {
        foreach (var pool in s_pools.Keys)
        {
            yield return new Measurement<int>(pool.IsFailingOpen ? 1 : 0, new KeyValuePair<string, object?>(ServiceTag, pool.ServiceName));
        }
    }
}
