using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Loadstone.Grpc;
using Loadstone.GrpcLab.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.GrpcLab;

/// <summary>The lab's settings; every one has a command-line switch (see <see cref="Parse"/>).</summary>
internal sealed record LabOptions(int Backends, int ServiceMs, int SlowMs, int Calls, int WarmUp, int Concurrency, int Rounds)
{
    /// <summary>Five backends, one pinned at 250 ms (the published Finagle experiment pins one of eleven at 2 s).</summary>
    public static LabOptions Default { get; } = new(Backends: 5, ServiceMs: 2, SlowMs: 250, Calls: 3000, WarmUp: 300, Concurrency: 8, Rounds: 3);

    /// <summary>A run of a few seconds, for the smoke test.</summary>
    public static LabOptions Short { get; } = new(Backends: 3, ServiceMs: 1, SlowMs: 20, Calls: 150, WarmUp: 30, Concurrency: 4, Rounds: 1);

    public static LabOptions Parse(string[] args)
    {
        var options = args.Contains("--short") ? Short : Default;
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (!int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            options = args[i] switch
            {
                "--backends" => options with { Backends = value },
                "--service-ms" => options with { ServiceMs = value },
                "--slow-ms" => options with { SlowMs = value },
                "--calls" => options with { Calls = value },
                "--warmup" => options with { WarmUp = value },
                "--concurrency" => options with { Concurrency = value },
                "--rounds" => options with { Rounds = value },
                _ => options,
            };
        }

        return options;
    }
}

/// <summary>One scenario's measurements.</summary>
internal sealed record ScenarioResult(int Round, string Client, bool Slow, double P50, double P90, double P99, double P999, double Mean, double SlowShare, int Failed);

/// <summary>
/// Runs the gRPC lab: N backend processes (h2c), one of which can be made slow, and unary calls from a fixed number of
/// concurrent callers through each client: Loadstone's policy with PeakEwma, PowerOfTwoChoices and RoundRobin, and
/// Grpc.Net.Client's own round_robin, first with every backend healthy and then with one slow.
/// </summary>
internal static class Lab
{
    public const string GrpcRoundRobin = "Grpc.Net.Client round_robin";

    private static readonly string[] LoadstoneStrategies =
        [LoadBalancingStrategies.PeakEwma, LoadBalancingStrategies.PowerOfTwoChoices, LoadBalancingStrategies.RoundRobin];

    public static async Task<(List<ScenarioResult> Results, string Report)> RunAsync(LabOptions options, TextWriter log)
    {
        var backends = new List<BackendProcess>();
        try
        {
            for (var i = 0; i < options.Backends; i++)
            {
                backends.Add(await BackendProcess.StartAsync($"g{i}", options.ServiceMs));
            }

            var slow = backends[^1];
            var results = new List<ScenarioResult>();
            // Rounds interleave the phases, so that a burst of load from elsewhere on the machine hits one round, not one phase.
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var isSlow in new[] { false, true })
                {
                    await ConfigureAsync(slow, isSlow ? options.SlowMs : options.ServiceMs);
                    foreach (var strategy in LoadstoneStrategies)
                    {
                        results.Add(await RunLoadstoneAsync(round, strategy, backends, slow, isSlow, options));
                        log.WriteLine(Format(results[^1]));
                    }

                    results.Add(await RunGrpcRoundRobinAsync(round, backends, slow, isSlow, options));
                    log.WriteLine(Format(results[^1]));
                }
            }

            return (results, Report(results, options));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    private static async Task ConfigureAsync(BackendProcess backend, int delayMs)
    {
        using var channel = GrpcChannel.ForAddress(backend.Address);
        await new LabApi.LabApiClient(channel).ConfigureAsync(new ConfigureRequest { DelayMs = delayMs });
    }

    private static async Task<ScenarioResult> RunLoadstoneAsync(int round, string strategy, List<BackendProcess> backends, BackendProcess slow, bool isSlow, LabOptions options)
    {
        var settings = new LoadBalancingOptions { Strategy = strategy };
        foreach (var backend in backends)
        {
            settings.Endpoints.Add(backend.Address.ToString());
        }

        using var pool = new ServicePool("lab", settings);
        using var channel = LoadBalancedGrpcChannel.Create(pool);
        return await MeasureAsync(round, $"Loadstone {strategy}", new LabApi.LabApiClient(channel), slow, isSlow, options);
    }

    private static async Task<ScenarioResult> RunGrpcRoundRobinAsync(int round, List<BackendProcess> backends, BackendProcess slow, bool isSlow, LabOptions options)
    {
        var addresses = backends.Select(b => new BalancerAddress(b.Address.Host, b.Address.Port)).ToArray();
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        await using var provider = services.BuildServiceProvider();
        using var channel = GrpcChannel.ForAddress("static:///lab", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = provider,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
        });
        return await MeasureAsync(round, GrpcRoundRobin, new LabApi.LabApiClient(channel), slow, isSlow, options);
    }

    /// <summary>Warm-up calls (connections, latency averages), then the measured calls from concurrent callers.</summary>
    private static async Task<ScenarioResult> MeasureAsync(int round, string name, LabApi.LabApiClient client, BackendProcess slow, bool isSlow, LabOptions options)
    {
        await CallManyAsync(client, options.WarmUp, options.Concurrency, null);
        var latencies = new double[options.Calls];
        var backendsHit = new string[options.Calls];
        var failed = await CallManyAsync(client, options.Calls, options.Concurrency, (i, ms, backend) =>
        {
            latencies[i] = ms;
            backendsHit[i] = backend;
        });
        Array.Sort(latencies);
        return new ScenarioResult(round, name, isSlow,
            Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.99), Percentile(latencies, 0.999),
            latencies.Average(), backendsHit.Count(b => b == slow.Name) / (double)options.Calls, failed);
    }

    private static async Task<int> CallManyAsync(LabApi.LabApiClient client, int calls, int concurrency, Action<int, double, string>? record)
    {
        var next = -1;
        var failed = 0;
        var callers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < calls; i = Interlocked.Increment(ref next))
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    var reply = await client.CallAsync(new LabRequest { Id = i }, deadline: DateTime.UtcNow.AddSeconds(30));
                    record?.Invoke(i, Stopwatch.GetElapsedTime(start).TotalMilliseconds, reply.Backend);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failed);
                    record?.Invoke(i, Stopwatch.GetElapsedTime(start).TotalMilliseconds, "failed");
                }
            }
        });
        await Task.WhenAll(callers);
        return failed;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string Format(ScenarioResult r) => string.Create(CultureInfo.InvariantCulture,
        $"  {r.Round,5} {r.Client,-30} {(r.Slow ? "one slow" : "healthy"),-9} {r.P50,7:F1} {r.P90,7:F1} {r.P99,7:F1} {r.P999,7:F1} {r.Mean,7:F1} {r.SlowShare * 100,8:F1} % {r.Failed,6}");

    /// <summary>The median of the rounds, per client and phase.</summary>
    public static ScenarioResult Median(IEnumerable<ScenarioResult> rounds)
    {
        var list = rounds.ToList();
        double M(Func<ScenarioResult, double> f)
        {
            var values = list.Select(f).Order().ToArray();
            return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
        }

        return new ScenarioResult(0, list[0].Client, list[0].Slow, M(r => r.P50), M(r => r.P90), M(r => r.P99), M(r => r.P999), M(r => r.Mean),
            M(r => r.SlowShare), list.Sum(r => r.Failed));
    }

    private static string Report(List<ScenarioResult> results, LabOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"gRPC lab: {options.Backends} backend processes (service time {options.ServiceMs} ms; in the slow phase one of them {options.SlowMs} ms), {options.Rounds} round(s) of {options.Calls} measured calls after {options.WarmUp} warm-up calls per client, {options.Concurrency} concurrent callers; medians of the rounds (round 0), failures summed");
        text.AppendLine("  round client                         backends     p50 ms  p90 ms  p99 ms p99.9 ms mean ms  to slow   failed");
        var medians = results.GroupBy(r => (r.Client, r.Slow)).Select(Median).ToList();
        foreach (var result in medians)
        {
            text.AppendLine(Format(result));
        }

        var reference = medians.Single(r => r.Client == GrpcRoundRobin && !r.Slow);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"  p99 with one slow backend / all-healthy p99 of the same client, and / all-healthy p99 of {GrpcRoundRobin} ({reference.P99:F1} ms):"));
        foreach (var client in medians.Select(r => r.Client).Distinct())
        {
            var healthy = medians.Single(r => r.Client == client && !r.Slow);
            var slow = medians.Single(r => r.Client == client && r.Slow);
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"    {client,-30} {slow.P99 / healthy.P99,6:F2} {slow.P99 / reference.P99,6:F2}"));
        }

        return text.ToString();
    }
}
