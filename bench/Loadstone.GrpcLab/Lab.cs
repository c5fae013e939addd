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
internal sealed record LabOptions(int Backends, int ServiceMs, int SlowMs, int Calls, int WarmUp, int Concurrency)
{
    public static LabOptions Default { get; } = new(Backends: 4, ServiceMs: 2, SlowMs: 50, Calls: 4000, WarmUp: 400, Concurrency: 8);

    /// <summary>A run of a few seconds, for the smoke test.</summary>
    public static LabOptions Short { get; } = new(Backends: 3, ServiceMs: 1, SlowMs: 20, Calls: 150, WarmUp: 30, Concurrency: 4);

    public static LabOptions Parse(string[] args)
    {
        var options = args.Contains("--short") ? Short : Default;
        for (var i = 0; i + 1 < args.Length; i++)
        {
            var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--backends" => options with { Backends = value },
                "--service-ms" => options with { ServiceMs = value },
                "--slow-ms" => options with { SlowMs = value },
                "--calls" => options with { Calls = value },
                "--warmup" => options with { WarmUp = value },
                "--concurrency" => options with { Concurrency = value },
                _ => options,
            };
        }

        return options;
    }
}

/// <summary>One scenario's measurements.</summary>
internal sealed record ScenarioResult(string Client, bool Slow, double P50, double P90, double P99, double P999, double Mean, double SlowShare, int Failed);

/// <summary>
/// Runs the gRPC lab: N backend processes (h2c), one of which can be made slow, and unary calls from a fixed number of
/// concurrent callers through each client: Loadstone's policy with PeakEwma, PowerOfTwoChoices and RoundRobin, and
/// Grpc.Net.Client's own round_robin, first with every backend healthy and then with one slow.
/// </summary>
internal static class Lab
{
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
            foreach (var isSlow in new[] { false, true })
            {
                await ConfigureAsync(slow, isSlow ? options.SlowMs : options.ServiceMs);
                foreach (var strategy in LoadstoneStrategies)
                {
                    results.Add(await RunLoadstoneAsync(strategy, backends, slow, isSlow, options));
                    log.WriteLine(Format(results[^1]));
                }

                results.Add(await RunGrpcRoundRobinAsync(backends, slow, isSlow, options));
                log.WriteLine(Format(results[^1]));
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

    private static async Task<ScenarioResult> RunLoadstoneAsync(string strategy, List<BackendProcess> backends, BackendProcess slow, bool isSlow, LabOptions options)
    {
        var settings = new LoadBalancingOptions { Strategy = strategy };
        foreach (var backend in backends)
        {
            settings.Endpoints.Add(backend.Address.ToString());
        }

        using var pool = new ServicePool("lab", settings);
        using var channel = LoadBalancedGrpcChannel.Create(pool);
        return await MeasureAsync($"Loadstone {strategy}", new LabApi.LabApiClient(channel), slow, isSlow, options);
    }

    private static async Task<ScenarioResult> RunGrpcRoundRobinAsync(List<BackendProcess> backends, BackendProcess slow, bool isSlow, LabOptions options)
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
        return await MeasureAsync("Grpc.Net.Client round_robin", new LabApi.LabApiClient(channel), slow, isSlow, options);
    }

    /// <summary>Warm-up calls (connections, latency averages), then the measured calls from concurrent callers.</summary>
    private static async Task<ScenarioResult> MeasureAsync(string name, LabApi.LabApiClient client, BackendProcess slow, bool isSlow, LabOptions options)
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
        return new ScenarioResult(name, isSlow,
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
        $"  {r.Client,-32} {(r.Slow ? "one slow" : "healthy"),-9} {r.P50,7:F1} {r.P90,7:F1} {r.P99,7:F1} {r.P999,7:F1} {r.Mean,7:F1} {r.SlowShare * 100,8:F1} % {r.Failed,6}");

    private static string Report(List<ScenarioResult> results, LabOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"gRPC lab: {options.Backends} backends (service time {options.ServiceMs} ms, the slow one {options.SlowMs} ms), {options.Calls} measured calls after {options.WarmUp} warm-up calls, {options.Concurrency} concurrent callers");
        text.AppendLine("  client                           backends     p50 ms  p90 ms  p99 ms p99.9 ms mean ms  to slow   failed");
        foreach (var result in results)
        {
            text.AppendLine(Format(result));
        }

        foreach (var client in results.Select(r => r.Client).Distinct())
        {
            var healthy = results.Single(r => r.Client == client && !r.Slow);
            var slow = results.Single(r => r.Client == client && r.Slow);
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {client}: p99 with one slow backend / all healthy = {slow.P99 / healthy.P99:F2}"));
        }

        return text.ToString();
    }
}
