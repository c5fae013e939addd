using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Loadstone.LoadLab;

/// <summary>
/// Scenario 5: a fleet in virtual time, no sockets. Thousands of endpoints, each a small queue (2 parallel slots,
/// FIFO) with its own log-normal service time (70 % fast at 10 ms median, 20 % at 20 ms, 8 % at 50 ms, 2 % degraded at
/// 200 ms); Poisson arrivals at 70 % of the fleet's capacity. Every request is routed by the real
/// <see cref="ServicePool"/> and strategy (Acquire, then Complete when the simulated endpoint answers), on a virtual
/// clock. Then, on the real clock: lease cost, snapshot rebuild time and memory per endpoint at the same size.
/// </summary>
internal static class FleetSimulation
{
    private const int Slots = 2;
    private const double Utilization = 0.7;
    private const double Sigma = 0.5;

    public static void Run(LabOptions o, string outDir, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(output);
        var n = o.Endpoints;
        var setup = new Random(o.Seed);
        var medians = new double[n];
        for (var i = 0; i < n; i++)
        {
            var u = setup.NextDouble();
            medians[i] = u < 0.70 ? 10 : u < 0.90 ? 20 : u < 0.98 ? 50 : 200;
        }

        var capacity = medians.Sum(m => Slots / (m * Math.Exp(Sigma * Sigma / 2) / 1000));
        var rate = Utilization * capacity;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fleet: {n} endpoints, capacity {capacity:0} req/s, arrivals {rate:0} req/s ({Utilization:P0}), {o.Requests} requests per strategy"));

        string[] strategies = [LoadBalancingStrategies.RoundRobin, LoadBalancingStrategies.Random, LoadBalancingStrategies.PowerOfTwoChoices, LoadBalancingStrategies.PeakEwma];
        var sims = new List<object>();
        var csv = new StringBuilder("strategy,requests,virtual_s,wall_s,latency_mean_ms,latency_p50_ms,latency_p99_ms,latency_p999_ms,queue_mean_ms,queue_p99_ms,queued_share,util_mean,util_p99,util_max,util_cv,max_queue\n");
        var cdf = new StringBuilder("# latency_ms fraction per strategy (virtual time)\n# blocks: " + string.Join(' ', strategies) + "\n");
        foreach (var strategy in strategies)
        {
            var r = Simulate(strategy, medians, rate, o.Requests, o.Seed);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {strategy,-18} latency mean {r.Latency.MeanMs(),9:0.00} p50 {r.Latency.PercentileMs(50),9:0.00} p99 {r.Latency.PercentileMs(99),10:0.00} p99.9 {r.Latency.PercentileMs(99.9),10:0.00} ms | queueing mean {r.Queue.MeanMs(),9:0.00} p99 {r.Queue.PercentileMs(99),10:0.00} ms, queued {r.QueuedShare,6:P1} | util mean {r.UtilMean:0.00} p99 {r.UtilP99:0.00} max {r.UtilMax:0.00} cv {r.UtilCv:0.00} | max queue {r.MaxQueue} | {r.WallSeconds:0.0} s wall"));
            csv.Append(CultureInfo.InvariantCulture, $"{strategy},{r.Requests},{r.VirtualSeconds:0.###},{r.WallSeconds:0.##},{r.Latency.MeanMs():0.###},{r.Latency.PercentileMs(50):0.###},{r.Latency.PercentileMs(99):0.###},{r.Latency.PercentileMs(99.9):0.###},{r.Queue.MeanMs():0.###},{r.Queue.PercentileMs(99):0.###},{r.QueuedShare:0.####},{r.UtilMean:0.####},{r.UtilP99:0.####},{r.UtilMax:0.####},{r.UtilCv:0.####},{r.MaxQueue}\n");
            cdf.Append(CultureInfo.InvariantCulture, $"# {strategy}\n");
            foreach (var (ms, f) in r.Latency.Cdf())
            {
                cdf.Append(CultureInfo.InvariantCulture, $"{ms:0.###} {f:0.#######}\n");
            }

            cdf.Append("\n\n");
            sims.Add(new
            {
                strategy, r.Requests, virtual_s = r.VirtualSeconds, wall_s = r.WallSeconds,
                latency_mean_ms = r.Latency.MeanMs(), latency_p50_ms = r.Latency.PercentileMs(50), latency_p99_ms = r.Latency.PercentileMs(99),
                latency_p999_ms = r.Latency.PercentileMs(99.9), queue_mean_ms = r.Queue.MeanMs(), queue_p99_ms = r.Queue.PercentileMs(99),
                queued_share = r.QueuedShare, util_mean = r.UtilMean, util_p99 = r.UtilP99, util_max = r.UtilMax, util_cv = r.UtilCv, max_queue = r.MaxQueue,
            });
        }

        output.WriteLine();
        output.WriteLine($"== Scenario 5b: costs at {n} endpoints, real clock ==");
        var costs = new List<object>();
        foreach (var size in new[] { 10, n })
        {
            foreach (var strategy in strategies)
            {
                var (pick, lease) = CostNs(strategy, size, o.Short ? 20_000 : 1_000_000, o.Short ? 50 : 500, o.Seed);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {strategy,-18} at {size,6} endpoints: pick {pick,6:0.0} ns, Acquire+Complete {lease,6:0.0} ns (medians of 5 batches)"));
                costs.Add(new { strategy, endpoints = size, pick_ns = pick, lease_ns = lease });
            }
        }

        var (buildMs, rebuildMs, rebuildMax, perEndpoint, poolPerEndpoint, allocPerEndpoint) = SnapshotAndMemory(n, o.Short ? 5 : 21);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pool construction with {n} endpoints: {buildMs:0.00} ms (validation and first snapshot)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  snapshot rebuild after a membership change (source fires → new snapshot visible): median {rebuildMs:0.00} ms, max {rebuildMax:0.00} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  memory retained per endpoint: {perEndpoint:0} B in all (LoadBalancedEndpoint + pool state), {poolPerEndpoint:0} B of it the pool's; {allocPerEndpoint:0} B allocated per endpoint while building"));

        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "fleet.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(outDir, "fleet-cdf.dat"), cdf.ToString());
        File.WriteAllText(Path.Combine(outDir, "fleet.json"), JsonSerializer.Serialize(new
        {
            scenario = "fleet", machine = Report.Machine(), endpoints = n, requests_per_strategy = o.Requests, seed = o.Seed,
            model = new { slots_per_endpoint = Slots, utilization = Utilization, lognormal_sigma = Sigma, medians_ms = "70% 10, 20% 20, 8% 50, 2% 200", capacity_rps = capacity, arrival_rps = rate },
            simulations = sims, lease_costs = costs,
            snapshot = new { construction_ms = buildMs, rebuild_median_ms = rebuildMs, rebuild_max_ms = rebuildMax },
            memory = new { retained_bytes_per_endpoint = perEndpoint, pool_retained_bytes_per_endpoint = poolPerEndpoint, allocated_bytes_per_endpoint_building = allocPerEndpoint },
        }, new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine($"results: {Path.Combine(outDir, "fleet")}{{.csv,.json,-cdf.dat}}");
    }

    private sealed record SimResult(long Requests, double VirtualSeconds, double WallSeconds, LatencyHistogram Latency, LatencyHistogram Queue,
        double QueuedShare, double UtilMean, double UtilP99, double UtilMax, double UtilCv, int MaxQueue);

    private readonly record struct Waiting(long Arrival, EndpointLease Lease, long Service);

    private static SimResult Simulate(string strategy, double[] medians, double rate, long requests, int seed)
    {
        var wall = Stopwatch.StartNew();
        var n = medians.Length;
        var clock = new VirtualTimeProvider();
        var options = new LoadBalancingOptions { Strategy = strategy };
        options.Retries.Enabled = false;
        for (var i = 0; i < n; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(Address(i)));
        }

        using var pool = new ServicePool("fleet", options, new ServicePoolDependencies { Random = new Random(seed), TimeProvider = clock });
        // One thread drives the virtual clock: the control plane must run on it too, at the moment a request hands it work.
        pool.ControlPlane.RunsInline = true;
        pool.InitializeAsync().GetAwaiter().GetResult();
        var index = new Dictionary<EndpointState, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < n; i++)
        {
            index[pool.Endpoints[i]] = i;
        }

        var rng = new Random(seed + 1);
        var busy = new int[n];
        var busyTicks = new long[n];
        var queues = new Queue<Waiting>[n];
        var completions = new PriorityQueue<(int Endpoint, long Arrival, EndpointLease Lease), long>();
        var latency = new LatencyHistogram();
        var queueing = new LatencyHistogram();
        long queued = 0;
        var maxQueue = 0;
        long t = 0;
        var ticksPerSecond = (double)TimeSpan.TicksPerSecond;

        void Start(int e, long arrival, EndpointLease lease, long service, long now)
        {
            busy[e]++;
            busyTicks[e] += service;
            queueing.Record((now - arrival) / 10);
            completions.Enqueue((e, arrival, lease), now + service);
        }

        void CompleteUntil(long until)
        {
            while (completions.TryPeek(out var c, out var at) && at <= until)
            {
                completions.Dequeue();
                clock.AdvanceTo(at);
                c.Lease.Complete(RequestOutcome.Success);
                latency.Record((at - c.Arrival) / 10);
                busy[c.Endpoint]--;
                if (queues[c.Endpoint] is { Count: > 0 } q)
                {
                    var w = q.Dequeue();
                    Start(c.Endpoint, w.Arrival, w.Lease, w.Service, at);
                }
            }
        }

        for (long r = 0; r < requests; r++)
        {
            t += (long)(-Math.Log(1 - rng.NextDouble()) / rate * ticksPerSecond);
            CompleteUntil(t);
            clock.AdvanceTo(t);
            var lease = pool.Acquire();
            var e = index[lease.State];
            var service = (long)(medians[e] * Math.Exp(Sigma * Normal(rng)) * TimeSpan.TicksPerMillisecond);
            if (busy[e] < Slots)
            {
                Start(e, t, lease, service, t);
            }
            else
            {
                var q = queues[e] ??= new Queue<Waiting>();
                q.Enqueue(new Waiting(t, lease, service));
                queued++;
                maxQueue = Math.Max(maxQueue, q.Count);
            }
        }

        var end = t;
        CompleteUntil(long.MaxValue);
        var util = busyTicks.Select(b => Math.Min(b, Slots * (double)end) / (Slots * (double)end)).OrderBy(u => u).ToArray();
        var mean = util.Average();
        var cv = Math.Sqrt(util.Average(u => (u - mean) * (u - mean))) / mean;
        return new SimResult(requests, end / ticksPerSecond, wall.Elapsed.TotalSeconds, latency, queueing, (double)queued / requests,
            mean, util[(int)(0.99 * (util.Length - 1))], util[^1], cv, maxQueue);
    }

    private static double Normal(Random rng)
    {
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static string Address(int i) => string.Create(CultureInfo.InvariantCulture, $"http://10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:8080");

    /// <summary>
    /// Medians of 5 batches on one thread, real clock: the strategy's pick alone (as the foundation's benchmarks measure
    /// it, on the pool's current candidate set), and a whole lease (Acquire + Complete: the pick, in-flight counting,
    /// two timestamps, the latency average and the metrics hook), in ns.
    /// </summary>
    private static (double Pick, double Lease) CostNs(string strategy, int size, int iterations, int warmupMs, int seed)
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        options.Retries.Enabled = false;
        for (var i = 0; i < size; i++)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(Address(i)));
        }

        using var pool = new ServicePool("cost", options, new ServicePoolDependencies { Random = new Random(seed) });
        var snapshot = pool.Snapshot;
        var picker = snapshot.Strategy;
        var candidates = snapshot.Candidates;
        var sink = 0;

        // Warm up (half a second in a full run), so tiered compilation has produced optimised code before anything is timed.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < warmupMs)
        {
            for (var i = 0; i < 1000; i++)
            {
                sink += picker.Pick(candidates, null);
                pool.Acquire().Complete(RequestOutcome.Success);
            }
        }

        var picks = new double[5];
        var leases = new double[5];
        for (var b = 0; b < picks.Length; b++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++)
            {
                sink += picker.Pick(candidates, null);
            }

            picks[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
            start = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++)
            {
                pool.Acquire().Complete(RequestOutcome.Success);
            }

            leases[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
        }

        GC.KeepAlive(sink);
        return (Report.Median(picks), Report.Median(leases));
    }

    private static (double BuildMs, double RebuildMedianMs, double RebuildMaxMs, double PerEndpoint, double PoolPerEndpoint, double AllocPerEndpoint)
        SnapshotAndMemory(int n, int rebuilds)
    {
        // Memory: endpoints alone, then the pool over them, both kept alive; full GCs around each step.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var endpoints = Enumerable.Range(0, n).Select(i => new LoadBalancedEndpoint(Address(i))).ToArray();
        var withEndpoints = GC.GetTotalMemory(forceFullCollection: true);
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.PowerOfTwoChoices };
        options.Retries.Enabled = false;
        foreach (var e in endpoints)
        {
            options.Endpoints.Add(e);
        }

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var pool = new ServicePool("memory", options);
        var buildMs = sw.Elapsed.TotalMilliseconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        pool.Acquire().Complete(RequestOutcome.Success);
        var withPool = GC.GetTotalMemory(forceFullCollection: true);
        var perEndpoint = (withPool - before) / (double)n;
        var poolPerEndpoint = (withPool - withEndpoints) / (double)n;
        GC.KeepAlive(endpoints);
        pool.Dispose();

        // Rebuild: a source whose change token fires; time until the new membership is visible to Acquire.
        var source = new TriggeredSource(endpoints);
        var sourced = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.PowerOfTwoChoices };
        sourced.Retries.Enabled = false;
        using var live = new ServicePool("rebuild", sourced, new ServicePoolDependencies { EndpointSources = [source] });
        live.InitializeAsync().GetAwaiter().GetResult();
        var extra = new LoadBalancedEndpoint(Address(n));
        var times = new List<double>();
        for (var r = 0; r < rebuilds; r++)
        {
            var grow = r % 2 == 0;
            var expected = grow ? n + 1 : n;
            var timer = Stopwatch.StartNew();
            source.Set(grow ? [.. endpoints, extra] : endpoints);
            var spins = 0;
            while (live.Endpoints.Count != expected && timer.Elapsed < TimeSpan.FromSeconds(10))
            {
                if (++spins % 64 == 0)
                {
                    Thread.Yield();
                }
            }

            times.Add(timer.Elapsed.TotalMilliseconds);
        }

        return (buildMs, Report.Median(times), times.Max(), perEndpoint, poolPerEndpoint, allocated / (double)n);
    }

    /// <summary>An endpoint source the simulator changes by hand.</summary>
    private sealed class TriggeredSource(LoadBalancedEndpoint[] initial) : IEndpointSource
    {
        private IReadOnlyList<LoadBalancedEndpoint> _endpoints = initial;
        private CancellationTokenSource _change = new();

        public string Name => "lab";

        public ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) => new(Volatile.Read(ref _endpoints));

        public IChangeToken? GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _change).Token);

        public void Set(IReadOnlyList<LoadBalancedEndpoint> endpoints)
        {
            Volatile.Write(ref _endpoints, endpoints);
            var old = Interlocked.Exchange(ref _change, new CancellationTokenSource());
            old.Cancel();
            old.Dispose();
        }
    }
}
