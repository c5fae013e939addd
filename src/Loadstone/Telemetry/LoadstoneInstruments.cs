using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Loadstone;

/// <summary>
/// The instruments of one <c>Loadstone</c> meter, and the pools its gauges observe. A container's
/// <see cref="IMeterFactory"/> gets its own (so two containers in one process never see each other's pools); pools
/// created without a factory share one meter of the process.
/// </summary>
internal sealed class LoadstoneInstruments
{
    /// <summary>Bucket boundaries of the duration histograms, in seconds: those of <c>http.client.request.duration</c>.</summary>
    internal static readonly IReadOnlyList<double> DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly Lazy<LoadstoneInstruments> s_shared = new(() => new LoadstoneInstruments(new Meter(LoadstoneMetrics.MeterName, Version)));
    private static readonly ConditionalWeakTable<IMeterFactory, LoadstoneInstruments> s_byFactory = new();
    private static readonly string? Version = typeof(LoadstoneInstruments).Assembly.GetName().Version?.ToString();

    private readonly ConcurrentDictionary<ServicePool, byte> _pools = new();

    private LoadstoneInstruments(Meter meter)
    {
        Meter = meter;
        Attempts = meter.CreateCounter<long>(
            "loadstone.attempts", "{attempt}", "Attempts sent to endpoints, by outcome (one request may make several attempts).");
        AttemptDuration = meter.CreateHistogram(
            "loadstone.attempt.duration", "s", "How long attempts took, from choosing the endpoint to the response headers or failure.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        Requests = meter.CreateCounter<long>(
            "loadstone.requests", "{request}", "Requests routed through the handler, by their final outcome.");
        Retries = meter.CreateCounter<long>(
            "loadstone.retries", "{retry}", "Attempts that retried a failed attempt on another endpoint.");
        Ejections = meter.CreateCounter<long>(
            "loadstone.endpoint.ejections", "{ejection}", "Endpoints ejected by outlier detection, by reason.");
        FailOpenEpisodes = meter.CreateCounter<long>(
            "loadstone.pool.fail_open.episodes", "{episode}", "Times a pool (or, tagged with loadstone.zone, one zone of it) started failing open.");
        Outliers = meter.CreateCounter<long>(
            "loadstone.endpoint.outliers", "{outlier}",
            "Outliers found by outlier detection, by reason and action: ejected, ejected_beyond_max_ejection_percent, refused_max_ejection_percent, refused_fail_open_threshold, not_enforced.");
        Requeues = meter.CreateCounter<long>(
            "loadstone.requeues", "{requeue}", "Attempts that never reached a server, sent again to another endpoint.");
        Hedges = meter.CreateCounter<long>(
            "loadstone.hedges", "{hedge}", "Hedged attempts, by result: won (answered first), lost (cancelled), failed (both attempts failed).");
        MembershipChanges = meter.CreateCounter<long>(
            "loadstone.pool.membership.changes", "{change}", "Snapshots published with a different set of endpoints.");
        StickyDecisions = meter.CreateCounter<long>(
            "loadstone.sticky.decisions", "{decision}",
            "Sticky-session decisions of pools with a key source, by result: bound, new, rebound, none (no key), failed.");
        ZonePicks = meter.CreateCounter<long>(
            "loadstone.zone.picks", "{pick}", "Picks made by zone preference, by whether the endpoint is in the caller's zone (local) or not (remote).");
        RuleMatches = meter.CreateCounter<long>(
            "loadstone.routing.rule_matches", "{match}", "Requests matched by a routing rule, by rule name (or priority when unnamed).");
        meter.CreateObservableGauge("loadstone.endpoint.active_requests", ObserveActive, "{request}", "Requests in flight per endpoint.");
        meter.CreateObservableGauge("loadstone.endpoint.health", ObserveHealth, "{endpoint}",
            "1 for each endpoint, tagged with its current state and reason.");
        meter.CreateObservableGauge("loadstone.endpoint.weight_factor", ObserveWeightFactor, "1",
            "The slow-start multiplier of each endpoint's weight (1 outside slow start).");
        meter.CreateObservableGauge("loadstone.pool.endpoints", ObserveMembers, "{endpoint}", "Endpoints per pool (draining ones included).");
        meter.CreateObservableGauge("loadstone.pool.fail_open", ObserveFailOpen, "1", "1 while the pool is failing open, else 0.");
    }

    public Meter Meter { get; }

    public Counter<long> Attempts { get; }

    public Histogram<double> AttemptDuration { get; }

    public Counter<long> Requests { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Ejections { get; }

    public Counter<long> FailOpenEpisodes { get; }

    public Counter<long> Outliers { get; }

    public Counter<long> Requeues { get; }

    public Counter<long> Hedges { get; }

    public Counter<long> MembershipChanges { get; }

    public Counter<long> StickyDecisions { get; }

    public Counter<long> ZonePicks { get; }

    public Counter<long> RuleMatches { get; }

    /// <summary>The instruments of a factory's meter (created once per factory), or the process's shared ones.</summary>
    public static LoadstoneInstruments For(IMeterFactory? factory) =>
        factory is null
            ? s_shared.Value
            : s_byFactory.GetValue(factory, static f => new LoadstoneInstruments(f.Create(new MeterOptions(LoadstoneMetrics.MeterName) { Version = Version })));

    public void Register(ServicePool pool) => _pools.TryAdd(pool, 0);

    public void Unregister(ServicePool pool) => _pools.TryRemove(pool, out _);

    private IEnumerable<Measurement<int>> ObserveActive() =>
        PerEndpoint(static s => s.ActiveRequests, static _ => []);

    private IEnumerable<Measurement<int>> ObserveHealth() =>
        PerEndpoint(static _ => 1, static s =>
        [
            new KeyValuePair<string, object?>(LoadstoneMetrics.HealthTag, s.Health.ToString()),
            new KeyValuePair<string, object?>(LoadstoneMetrics.ReasonTag, s.HealthReason.ToString()),
        ]);

    private IEnumerable<Measurement<double>> ObserveWeightFactor() =>
        PerEndpoint(static s => s.WeightFactor, static _ => []);

    /// <summary>One measurement per endpoint of every live pool, tagged with service and endpoint plus any extra tags.</summary>
    private IEnumerable<Measurement<T>> PerEndpoint<T>(Func<EndpointState, T> value,
        Func<EndpointState, KeyValuePair<string, object?>[]> extraTags)
        where T : struct
    {
        foreach (var pool in _pools.Keys)
        {
            foreach (var state in pool.Endpoints)
            {
                KeyValuePair<string, object?>[] tags =
                [
                    new(LoadstoneMetrics.ServiceTag, pool.ServiceName),
                    new(LoadstoneMetrics.EndpointTag, state.Endpoint.BaseAddress),
                    .. extraTags(state),
                ];
                yield return new Measurement<T>(value(state), tags);
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveMembers()
    {
        foreach (var pool in _pools.Keys)
        {
            yield return new Measurement<int>(pool.Endpoints.Count, new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, pool.ServiceName));
        }
    }

    private IEnumerable<Measurement<int>> ObserveFailOpen()
    {
        foreach (var pool in _pools.Keys)
        {
            yield return new Measurement<int>(pool.IsFailingOpen ? 1 : 0, new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, pool.ServiceName));
        }
    }
}
