namespace Loadstone.LoadLab;

/// <summary>Scenarios 7 and 8, and the extra-request count of scenario 2: failures and tail latency with the defaults.</summary>
internal static partial class Scenarios
{
    /// <summary>Every built-in strategy, by the lab's kind names.</summary>
    private static readonly string[] s_everyStrategy =
        ["roundrobin", "random", "weightedroundrobin", "leastrequests", "p2c", "peakewma", "firstavailable"];

    /// <summary>
    /// (7) Two of three backends refuse connections within a second of a fresh client: killed 0.3 s and 0.8 s into the
    /// run (scaled down in short runs). Four callers, at a fixed rate of 400 requests/s and in a closed loop; every
    /// strategy with the default options, the direct client and the proxies. Each kind starts fresh in each run.
    /// </summary>
    public static async Task OutageAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        const int Callers = 4;
        const double Rate = 400;
        var latency = 1.0;
        await using var fleet = await BackendFleet.StartAsync(Specs(3, _ => "a", _ => latency), TextWriter.Null, ct).ConfigureAwait(false);
        var names = new[] { "direct" }.Concat(s_everyStrategy).Concat(s_peerNames).Where(o.Wants)
            .Where(k => !(o.NoPeers && s_peerNames.Contains(k))).ToList();
        var firstKill = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(300).Ticks, o.Duration.Ticks / 10));
        var secondKill = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(800).Ticks, o.Duration.Ticks / 4));
        var skipped = new List<string>();
        var results = new List<RunResult>();
        for (var round = 1; round <= o.Rounds; round++)
        {
            foreach (var mode in new[] { "fixed-rate", "closed-loop" })
            {
                foreach (var name in Rotate(names, round))
                {
                    foreach (var backend in fleet.Backends.Where(b => b.Process is null))
                    {
                        await fleet.RestartAsync(backend, ct).ConfigureAwait(false);
                    }

                    var (kind, why) = await CreateKindAsync(name, fleet.Backends, null, output, ct).ConfigureAwait(false);
                    if (kind is null)
                    {
                        if (round == 1 && mode == "fixed-rate")
                        {
                            skipped.Add(why!);
                        }

                        continue;
                    }

                    try
                    {
                        async Task Faults(TimeSpan duration)
                        {
                            await Task.Delay(firstKill, ct).ConfigureAwait(false);
                            BackendFleet.Kill(fleet.Backends[1]);
                            await Task.Delay(secondKill - firstKill, ct).ConfigureAwait(false);
                            BackendFleet.Kill(fleet.Backends[2]);
                        }

                        var result = mode == "fixed-rate"
                            ? await LoadRunner.RunFixedRateAsync(kind.Name, mode, round, kind.SendAsync, Callers, Rate, o.Duration, ct, Faults).ConfigureAwait(false)
                            : await LoadRunner.RunAsync(kind.Name, mode, round, kind.SendAsync, Callers, TimeSpan.Zero, o.Duration, o.MaxRequests, ct, Faults).ConfigureAwait(false);
                        result.Extra["failed_pct"] = result.Requests == 0 ? double.NaN : 100.0 * result.Errors / result.Requests;
                        if (kind.Pool is { } pool)
                        {
                            var dead = pool.GetStatus().Endpoints.Skip(1).ToList();
                            result.Extra["dead_ejected"] = dead.Count(e => !e.IsRoutable);
                            result.Extra["dead_recently_failing"] = dead.Count(e => e.IsRoutable && e.Note == EndpointRoutingNote.RecentlyFailing);
                        }

                        results.Add(result);
                        Progress(output, result);
                    }
                    finally
                    {
                        await kind.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        Finish(o, outDir, output, "outage", "Scenario 7: 2 of 3 backends refuse connections within a second of a fresh client, 4 callers", results, skipped,
            new
            {
                callers = Callers, fixed_rate_per_s = Rate, backend_latency_ms = latency, kill_1_ms = firstKill.TotalMilliseconds,
                kill_2_ms = secondKill.TotalMilliseconds,
                note = "Loadstone kinds run with the default options (retries, requeues, outlier detection); failed_pct: failed client requests in percent; "
                    + "dead_ejected: how many of the two dead backends the pool shows out of traffic at the end; dead_recently_failing: "
                    + "how many it shows routable but recently failing (load-aware strategies then send them almost nothing).",
            });
    }

    /// <summary>
    /// (8) Linkerd's slow-node experiment, scaled: 11 backends at 5 ms; for the middle third of each run one answers at
    /// 100 ms; callers give up after 50 ms. A fixed rate from four callers, after a warm-up. Success is an answer in time.
    /// </summary>
    public static async Task SlowNodeAsync(LabOptions o, string outDir, TextWriter output, CancellationToken ct)
    {
        const int Callers = 4;
        const double Rate = 400;
        var timeout = TimeSpan.FromMilliseconds(50);
        await using var fleet = await BackendFleet.StartAsync(Specs(11, _ => "a", _ => 5.0), TextWriter.Null, ct).ConfigureAwait(false);
        var names = new[] { "roundrobin", "p2c", "peakewma", "p2c+hedge", "peakewma+hedge" }.Concat(s_peerNames).Where(o.Wants)
            .Where(k => !(o.NoPeers && s_peerNames.Contains(k))).ToList();
        var skipped = new List<string>();
        var results = new List<RunResult>();
        for (var round = 1; round <= o.Rounds; round++)
        {
            foreach (var name in Rotate(names, round))
            {
                await BackendFleet.ControlAsync(fleet.Backends[0], 5, null, ct).ConfigureAwait(false);
                var (kind, why) = await CreateKindAsync(name, fleet.Backends, null, output, ct).ConfigureAwait(false);
                if (kind is null)
                {
                    if (round == 1)
                    {
                        skipped.Add(why!);
                    }

                    continue;
                }

                try
                {
                    async ValueTask<bool> SendWithTimeout(CancellationToken token)
                    {
                        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                        deadline.CancelAfter(timeout);
                        try
                        {
                            return await kind.SendAsync(deadline.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!token.IsCancellationRequested)
                        {
                            return false;
                        }
                    }

                    async Task SlowMiddleThird(TimeSpan duration)
                    {
                        await Task.Delay(duration / 3, ct).ConfigureAwait(false);
                        await BackendFleet.ControlAsync(fleet.Backends[0], 100, null, ct).ConfigureAwait(false);
                        await Task.Delay(duration / 3, ct).ConfigureAwait(false);
                        await BackendFleet.ControlAsync(fleet.Backends[0], 5, null, ct).ConfigureAwait(false);
                    }

                    if (o.Warmup > TimeSpan.Zero)
                    {
                        await LoadRunner.RunFixedRateAsync(kind.Name, "", round, SendWithTimeout, Callers, Rate, o.Warmup, ct).ConfigureAwait(false);
                    }

                    var (before, _) = await SumStatsAsync(fleet, ct).ConfigureAwait(false);
                    var result = await LoadRunner.RunFixedRateAsync(kind.Name, "", round, SendWithTimeout, Callers, Rate, o.Duration, ct, SlowMiddleThird).ConfigureAwait(false);
                    var (after, _) = await SumStatsAsync(fleet, ct).ConfigureAwait(false);
                    result.Extra["success_pct"] = result.Requests == 0 ? double.NaN : 100.0 * (result.Requests - result.Errors) / result.Requests;
                    result.Extra["extra_requests_pct"] = result.Requests == 0 ? double.NaN : 100.0 * ((after - before) - result.Requests) / result.Requests;
                    results.Add(result);
                    Progress(output, result);
                }
                finally
                {
                    await kind.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        Finish(o, outDir, output, "slownode", "Scenario 8: 11 backends at 5 ms, one at 100 ms for the middle third, callers time out at 50 ms", results, skipped,
            new
            {
                callers = Callers, fixed_rate_per_s = Rate, timeout_ms = timeout.TotalMilliseconds, backend_latency_ms = 5, slow_latency_ms = 100,
                note = "success_pct: answers (2xx) within the callers' 50 ms; extra_requests_pct: requests the backends saw beyond the client's "
                    + "(retries, hedges; for proxies their own retries), over the measured run.",
            });
    }

    /// <summary>The hedged kinds scenario 2 adds to the usual ones.</summary>
    private static IEnumerable<string> HedgedKinds(LabOptions o) => new[] { "p2c+hedge", "peakewma+hedge" }.Where(o.Wants);

    /// <summary>A measured run that also counts what the backends received, for the share of extra requests (retries, hedges).</summary>
    private static async Task<RunResult> MeasureCountingAsync(LabOptions o, BackendFleet fleet, ClientKind kind, string condition, int round, CancellationToken ct)
    {
        long before = 0;
        var result = await LoadRunner.RunAsync(kind.Name, condition, round, kind.SendAsync, o.Concurrency, o.Warmup, o.Duration, o.MaxRequests, ct,
            async _ => before = (await SumStatsAsync(fleet, ct).ConfigureAwait(false)).Requests).ConfigureAwait(false);
        var (after, _) = await SumStatsAsync(fleet, ct).ConfigureAwait(false);
        // The snapshot at the start races the first measured requests by a few: a small error, the same for every kind.
        result.Extra["extra_requests_pct"] = result.Requests == 0 ? double.NaN : 100.0 * ((after - before) - result.Requests) / result.Requests;
        return result;
    }

    /// <summary>Requests to GET / over every running backend, and those of the first one.</summary>
    private static async Task<(long Requests, long First)> SumStatsAsync(BackendFleet fleet, CancellationToken ct)
    {
        long total = 0, first = 0;
        foreach (var backend in fleet.Backends.Where(b => b.Process is not null))
        {
            var (requests, _) = await BackendFleet.StatsAsync(backend, ct).ConfigureAwait(false);
            total += requests;
            if (ReferenceEquals(backend, fleet.Backends[0]))
            {
                first = requests;
            }
        }

        return (total, first);
    }
}
