using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Loadstone.LoadLab;

/// <summary>Scenarios 1 to 4: real backends in separate processes, real peers.</summary>
internal static partial class Scenarios
{
    private static readonly string[] s_peerNames = ["haproxy", "nginx", "yarp"];

    /// <summary>(1) Equal backends: the library's overhead against the direct client and the proxies.</summary>
    public static async Task HomogeneousAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        var latency = 0.0;
        await using var fleet = await BackendFleet.StartAsync(Specs(o.Backends, _ => "a", _ => latency), TextWriter.Null, ct).ConfigureAwait(false);
        var (kinds, skipped) = await CreateKindsAsync(o, fleet.Backends, null, output, ct).ConfigureAwait(false);
        try
        {
            var results = new List<RunResult>();
            for (var round = 1; round <= o.Rounds; round++)
            {
                foreach (var kind in Rotate(kinds, round))
                {
                    results.Add(await MeasureAsync(o, kind, "", round, ct).ConfigureAwait(false));
                    Progress(output, results[^1]);
                }
            }

            Finish(o, outDir, output, "homogeneous", "Scenario 1: homogeneous backends", results, skipped, new { backend_latency_ms = latency });
        }
        finally
        {
            await DisposeAllAsync(kinds).ConfigureAwait(false);
        }
    }

    /// <summary>(2) One slow backend (10x latency): tail latency per strategy and peer, against the all-healthy run.</summary>
    public static async Task SlowAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        var baseMs = o.Short ? 1.0 : 10.0;
        var slowMs = baseMs * 10;
        await using var fleet = await BackendFleet.StartAsync(Specs(o.Backends, _ => "a", _ => baseMs), TextWriter.Null, ct).ConfigureAwait(false);
        var (kinds, skipped) = await CreateKindsAsync(o, fleet.Backends, null, output, ct, HedgedKinds(o)).ConfigureAwait(false);
        try
        {
            var results = new List<RunResult>();
            for (var round = 1; round <= o.Rounds; round++)
            {
                foreach (var (condition, ms) in new[] { ("healthy", baseMs), ("one-slow", slowMs) })
                {
                    await BackendFleet.ControlAsync(fleet.Backends[0], ms, null, ct).ConfigureAwait(false);
                    foreach (var kind in Rotate(kinds, round))
                    {
                        results.Add(await MeasureCountingAsync(o, fleet, kind, condition, round, ct).ConfigureAwait(false));
                        Progress(output, results[^1]);
                    }
                }
            }

            // Paired, per kind and round: the one-slow p99.9 over the same kind's all-healthy p99.9 of that round.
            foreach (var slow in results.Where(r => r.Condition == "one-slow"))
            {
                var healthy = results.Single(r => r.Condition == "healthy" && r.Kind == slow.Kind && r.Round == slow.Round);
                slow.Extra["p999_vs_healthy"] = slow.Histogram.PercentileMs(99.9) / healthy.Histogram.PercentileMs(99.9);
            }

            Finish(o, outDir, output, "slow", $"Scenario 2: one backend of {o.Backends} at {slowMs} ms, the others at {baseMs} ms", results, skipped,
                new { base_latency_ms = baseMs, slow_latency_ms = slowMs, slow_backend = fleet.Backends[0].Name });
        }
        finally
        {
            await DisposeAllAsync(kinds).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// (3) One backend starts answering 503 a quarter into the run, another is killed half-way. Loadstone runs with
    /// retries (the default: 2, on another endpoint), active health checks every second and passive outlier detection;
    /// the proxies with their own checks and retries; the direct client has none. Each kind gets fresh state each round.
    /// </summary>
    public static async Task FailureAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        var latency = 1.0;
        await using var fleet = await BackendFleet.StartAsync(Specs(o.Backends, _ => "a", _ => latency), TextWriter.Null, ct).ConfigureAwait(false);
        var failing = fleet.Backends[0];
        var killed = fleet.Backends[1];
        // One more Loadstone kind: P2C allowed to eject 20 % of the pool (the default 10 % ejects one endpoint of 10).
        var kindNames = KindNames(o);
        if (o.Wants("p2c-eject20"))
        {
            kindNames.Insert(Math.Min(2, kindNames.Count), "p2c-eject20");
        }

        // On request only (--kinds): P2C with a retry budget that never binds, to tell budget-limited failures apart.
        if (o.Kinds?.Contains("p2c-nobudget") == true)
        {
            kindNames.Add("p2c-nobudget");
        }

        var skipped = new List<string>();
        var results = new List<RunResult>();
        for (var round = 1; round <= o.Rounds; round++)
        {
            foreach (var name in Rotate(kindNames, round))
            {
                // Fresh fleet state: the killed backend back, the failing one healthy.
                if (killed.Process is null)
                {
                    await fleet.RestartAsync(killed, ct).ConfigureAwait(false);
                }

                await BackendFleet.ControlAsync(failing, null, 200, ct).ConfigureAwait(false);
                var kind = await CreateKindAsync(name, fleet.Backends, FailureOptions, output, ct).ConfigureAwait(false);
                if (kind.Kind is null)
                {
                    if (round == 1)
                    {
                        skipped.Add(kind.Skipped!);
                    }

                    continue;
                }

                try
                {
                    if (kind.Kind.Pool is { } pool)
                    {
                        await pool.InitializeAsync(ct).ConfigureAwait(false);
                    }

                    var extra = new Dictionary<string, double>(StringComparer.Ordinal);
                    async Task Faults(TimeSpan duration)
                    {
                        await Task.Delay(duration / 4, ct).ConfigureAwait(false);
                        var (before, _) = await BackendFleet.StatsAsync(failing, ct).ConfigureAwait(false);
                        var faultAt = DateTimeOffset.UtcNow;
                        await BackendFleet.ControlAsync(failing, null, 503, ct).ConfigureAwait(false);
                        var watch = Watch(kind.Kind.Pool, failing, faultAt, "eject_503_ms", extra, duration, ct);
                        await Task.Delay(duration / 4, ct).ConfigureAwait(false);
                        var killAt = DateTimeOffset.UtcNow;
                        BackendFleet.Kill(killed);
                        var watchKilled = Watch(kind.Kind.Pool, killed, killAt, "eject_killed_ms", extra, duration / 2, ct);
                        await Task.Delay(duration / 2 - TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
                        var (after, last) = await BackendFleet.StatsAsync(failing, ct).ConfigureAwait(false);
                        extra["to_503_after_fault"] = after - before;
                        extra["last_503_ms"] = last > faultAt.ToUnixTimeMilliseconds() ? last - faultAt.ToUnixTimeMilliseconds() : 0;
                        await Task.WhenAll(watch, watchKilled).ConfigureAwait(false);
                    }

                    var result = await LoadRunner.RunAsync(kind.Kind.Name, "", round, kind.Kind.SendAsync, o.Concurrency, o.Warmup,
                        o.Duration, o.MaxRequests, ct, Faults).ConfigureAwait(false);
                    foreach (var (k, v) in extra)
                    {
                        result.Extra[k] = v;
                    }

                    results.Add(result);
                    Progress(output, result);
                }
                finally
                {
                    await kind.Kind.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        Finish(o, outDir, output, "failure", "Scenario 3: one backend answering 503 from 1/4 of the run, one killed at 1/2", results, skipped,
            new
            {
                backend_latency_ms = latency, failing_backend = failing.Name, killed_backend = killed.Name,
                note = "eject_*_ms: time from the fault until Loadstone's pool marked the endpoint unhealthy (Loadstone kinds only); "
                    + "to_503_after_fault: requests that reached the 503 backend after the fault; last_503_ms: when the last of them arrived.",
            });
    }

    /// <summary>(4) Client in zone a; backends in zones a and b. Share of cross-zone requests per zone mode.</summary>
    public static async Task ZonesAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        // 4 of 10 backends in zone a. Zone b answers 1 ms slower: the cross-zone hop, as the client would see it.
        var inA = Math.Max(1, o.Backends * 2 / 5);
        await using var fleet = await BackendFleet.StartAsync(Specs(o.Backends, i => i < inA ? "a" : "b", i => i < inA ? 1.0 : 2.0), TextWriter.Null, ct).ConfigureAwait(false);
        static Action<LoadBalancingOptions> Zone(ZoneRoutingMode mode, double localShare = ZoneOptions.DefaultLocalShare) => x =>
        {
            x.Zones.LocalZone = "a";
            x.Zones.Mode = mode;
            x.Zones.LocalShare = localShare;
        };

        var modes = new List<(string Name, Action<LoadBalancingOptions>? Configure)>
        {
            ("direct", null),
            ("p2c CrossZone", Zone(ZoneRoutingMode.CrossZone)),
            ("p2c PerZone", Zone(ZoneRoutingMode.PerZone)),
            ("p2c Affinity", Zone(ZoneRoutingMode.Affinity)),
            ("p2c Affinity 0.85", Zone(ZoneRoutingMode.Affinity, 0.85)),
            ("p2c ZoneAware", Zone(ZoneRoutingMode.ZoneAware)),
        };

        var kinds = modes.Select(m => m.Name == "direct"
            ? ClientKind.Direct(fleet.Backends)
            : ClientKind.Loadstone(m.Name, LoadBalancingStrategies.PowerOfTwoChoices, fleet.Backends, m.Configure)).ToList();
        try
        {
            var results = new List<RunResult>();
            for (var round = 1; round <= o.Rounds; round++)
            {
                foreach (var kind in Rotate(kinds, round))
                {
                    var byZone = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
                    var result = await LoadRunner.RunAsync(kind.Name, "", round, async token =>
                    {
                        var body = await kind.SendReadAsync(token).ConfigureAwait(false);
                        if (body is null)
                        {
                            return false;
                        }

                        byZone.AddOrUpdate(body[(body.IndexOf(' ', StringComparison.Ordinal) + 1)..], 1, static (_, n) => n + 1);
                        return true;
                    }, o.Concurrency, o.Warmup, o.Duration, o.MaxRequests, ct).ConfigureAwait(false);
                    var total = byZone.Values.Sum();
                    // The warm-up counts too; the share is of every answered request of this kind and round.
                    result.Extra["cross_zone_share"] = total == 0 ? double.NaN : (double)byZone.Where(kv => kv.Key != "a").Sum(kv => kv.Value) / total;
                    results.Add(result);
                    Progress(output, result);
                }
            }

            Finish(o, outDir, output, "zones", $"Scenario 4: client in zone a; {inA} backends in a (1 ms), {o.Backends - inA} in b (2 ms)", results, [],
                new { backends_in_a = inA, backends_in_b = o.Backends - inA, zone_aware_caller_shares = "even (default)" });
        }
        finally
        {
            await DisposeAllAsync(kinds).ConfigureAwait(false);
        }
    }

    private static void FailureOptions(LoadBalancingOptions x)
    {
        x.Retries.Enabled = true;
        x.HealthChecks.Active.Enabled = true;
        x.HealthChecks.Active.Path = "/health";
        x.HealthChecks.Active.Interval = TimeSpan.FromSeconds(1);
        x.HealthChecks.Active.Timeout = TimeSpan.FromMilliseconds(500);
        x.HealthChecks.Active.StartEagerly = true;
    }

    /// <summary>Polls the pool until the endpoint is no longer healthy; records the time since the fault.</summary>
    private static async Task Watch(ServicePool? pool, Backend backend, DateTimeOffset since, string key, Dictionary<string, double> extra,
        TimeSpan limit, CancellationToken ct)
    {
        if (pool is null)
        {
            return;
        }

        var id = new LoadBalancedEndpoint(backend.Address).Id;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < limit)
        {
            var state = pool.Endpoints.FirstOrDefault(s => s.Endpoint.Id == id);
            if (state is not null && state.Health != EndpointHealth.Healthy)
            {
                lock (extra)
                {
                    extra[key] = (DateTimeOffset.UtcNow - since).TotalMilliseconds;
                }

                return;
            }

            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    private static Task<RunResult> MeasureAsync(LabOptions o, ClientKind kind, string condition, int round, CancellationToken ct) =>
        LoadRunner.RunAsync(kind.Name, condition, round, kind.SendAsync, o.Concurrency, o.Warmup, o.Duration, o.MaxRequests, ct);

    private static IEnumerable<(string, string, double)> Specs(int n, Func<int, string> zone, Func<int, double> latency) =>
        Enumerable.Range(0, n).Select(i => ($"b{i}", zone(i), latency(i)));

    private static List<string> KindNames(LabOptions o) =>
        new[] { "direct", "p2c", "peakewma", "roundrobin", "haproxy", "nginx", "yarp" }
            .Where(o.Wants)
            .Where(k => !(o.NoPeers && s_peerNames.Contains(k)))
            .ToList();

    private static async Task<(List<ClientKind>, List<string>)> CreateKindsAsync(LabOptions o, IReadOnlyList<Backend> backends,
        Action<LoadBalancingOptions>? configure, TextWriter output, CancellationToken ct, IEnumerable<string>? more = null)
    {
        var kinds = new List<ClientKind>();
        var skipped = new List<string>();
        foreach (var name in KindNames(o).Concat(more ?? []))
        {
            var (kind, why) = await CreateKindAsync(name, backends, configure, output, ct).ConfigureAwait(false);
            if (kind is null)
            {
                skipped.Add(why!);
                output.WriteLine($"skipped: {why}");
            }
            else
            {
                kinds.Add(kind);
            }
        }

        return (kinds, skipped);
    }

    private static async Task<(ClientKind? Kind, string? Skipped)> CreateKindAsync(string name, IReadOnlyList<Backend> backends,
        Action<LoadBalancingOptions>? configure, TextWriter output, CancellationToken ct)
    {
        switch (name)
        {
            case "direct": return (ClientKind.Direct(backends), null);
            case "p2c": return (ClientKind.Loadstone(name, LoadBalancingStrategies.PowerOfTwoChoices, backends, configure), null);
            case "peakewma": return (ClientKind.Loadstone(name, LoadBalancingStrategies.PeakEwma, backends, configure), null);
            case "roundrobin": return (ClientKind.Loadstone(name, LoadBalancingStrategies.RoundRobin, backends, configure), null);
            case "random": return (ClientKind.Loadstone(name, LoadBalancingStrategies.Random, backends, configure), null);
            case "weightedroundrobin": return (ClientKind.Loadstone(name, LoadBalancingStrategies.WeightedRoundRobin, backends, configure), null);
            case "leastrequests": return (ClientKind.Loadstone(name, LoadBalancingStrategies.LeastRequests, backends, configure), null);
            case "firstavailable": return (ClientKind.Loadstone(name, LoadBalancingStrategies.FirstAvailable, backends, configure), null);
            case "p2c+hedge": return (ClientKind.Loadstone(name, LoadBalancingStrategies.PowerOfTwoChoices, backends, Hedged(configure)), null);
            case "peakewma+hedge": return (ClientKind.Loadstone(name, LoadBalancingStrategies.PeakEwma, backends, Hedged(configure)), null);
            case "p2c-nobudget":
                return (ClientKind.Loadstone(name, LoadBalancingStrategies.PowerOfTwoChoices, backends, x =>
                {
                    configure?.Invoke(x);
                    x.Retries.BudgetPercent = 100;
                    x.Retries.MinRetriesPerSecond = 100_000;
                }), null);
            case "p2c-eject20":
                return (ClientKind.Loadstone(name, LoadBalancingStrategies.PowerOfTwoChoices, backends, x =>
                {
                    configure?.Invoke(x);
                    x.HealthChecks.Passive.MaxEjectionPercent = 20;
                }), null);
            default:
                var (peer, why) = await Peer.TryStartAsync(name, backends, TextWriter.Null, ct).ConfigureAwait(false);
                return peer is null ? (null, why) : (ClientKind.Proxy(peer), null);
        }
    }

    /// <summary>Hedging on, with its defaults (the 95th percentile of recent latency, at most 5 % extra requests).</summary>
    private static Action<LoadBalancingOptions> Hedged(Action<LoadBalancingOptions>? configure) => x =>
    {
        configure?.Invoke(x);
        x.Hedging.Enabled = true;
    };

    private static IEnumerable<T> Rotate<T>(IReadOnlyList<T> items, int round)
    {
        // Each round starts with a different kind, so drift in the machine's load hits every kind alike.
        for (var i = 0; i < items.Count; i++)
        {
            yield return items[(i + round - 1) % items.Count];
        }
    }

    private static void Progress(TextWriter output, RunResult r) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  round {r.Round} {(r.Condition.Length > 0 ? r.Condition + " " : "")}{r.Kind,-22} {r.Throughput,9:0} req/s  p50 {r.Histogram.PercentileMs(50),8:0.000} ms  p99 {r.Histogram.PercentileMs(99),8:0.000} ms  p99.9 {r.Histogram.PercentileMs(99.9),8:0.000} ms  errors {r.Errors}"));

    private static void Finish(LabOptions o, string outDir, TextWriter output, string name, string title, List<RunResult> results,
        List<string> skipped, object details)
    {
        var summaries = Report.Summarize(results);
        Report.PrintTable(output, title, summaries, skipped);
        Report.Write(outDir, name, results, summaries, skipped, details, o, output);
    }

    private static async Task DisposeAllAsync(IEnumerable<ClientKind> kinds)
    {
        foreach (var kind in kinds)
        {
            await kind.DisposeAsync().ConfigureAwait(false);
        }
    }
}
