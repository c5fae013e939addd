using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loadstone.FleetSim;

/// <summary>
/// C clients, each with its own <see cref="ServicePool"/> (the configured strategy, its own seeded random) over its
/// subset, and N single-server endpoints with exponential service (mean 10 ms), Poisson arrivals at the given share
/// of the fleet's capacity, each from a client chosen at random. Run once per subsetting kind on the same fleet.
/// </summary>
internal static class FleetRun
{
    private const double MeanService = TimeSpan.TicksPerMillisecond * 10.0;

    public static int Run(SimOptions o, TextWriter log)
    {
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {o.Clients} clients × {o.Endpoints} endpoints, subsets of {o.SubsetSize}, {o.Strategy}, utilization {o.Utilization:P0}, {o.Requests:N0} requests (first 10 % warm-up), seed {o.Seed}"));
        var csv = new StringBuilder("kind,metric,mean,min,p1,median,p99,max,cv,within_10_percent,zero\n");
        var runs = new List<object>();
        var latencyCsv = new StringBuilder("kind,mean_ms,p50_ms,p99_ms,p999_ms,max_ms,overloaded_endpoints,wall_s\n");
        var misses = 0;
        foreach (var kind in new[] { SubsetKind.Deterministic, SubsetKind.Random })
        {
            var r = Simulate(kind, o);
            log.WriteLine($"  {kind}:");
            log.WriteLine($"    connections per endpoint: {r.Connections}");
            log.WriteLine($"    connections per client:   {r.PerClient}");
            log.WriteLine($"    requests per endpoint:    {r.Load}");
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    latency: mean {r.Fleet.Latency.MeanMs():0.00} ms, p50 {r.Fleet.Latency.PercentileMs(50):0.00}, p99 {r.Fleet.Latency.PercentileMs(99):0.00}, p99.9 {r.Fleet.Latency.PercentileMs(99.9):0.00}, max {r.Fleet.Latency.Max / 1000.0:0.0} ms; endpoints offered more than their capacity: {r.Overloaded}; {r.WallSeconds:0.0} s wall"));
            foreach (var (metric, spread) in new[] { ("connections_per_endpoint", r.Connections), ("connections_per_client", r.PerClient), ("requests_per_endpoint", r.Load) })
            {
                csv.Append(CultureInfo.InvariantCulture, $"{kind},{metric},{Output.F(spread.Mean)},{Output.F(spread.Min)},{Output.F(spread.P1)},{Output.F(spread.Median)},{Output.F(spread.P99)},{Output.F(spread.Max)},{Output.F(spread.Cv)},{Output.F(spread.WithinTenPercent)},{spread.Zero}\n");
            }

            var l = r.Fleet.Latency;
            latencyCsv.Append(CultureInfo.InvariantCulture, $"{kind},{l.MeanMs():0.###},{l.PercentileMs(50):0.###},{l.PercentileMs(99):0.###},{l.PercentileMs(99.9):0.###},{l.Max / 1000.0:0.###},{r.Overloaded},{r.WallSeconds:0.#}\n");
            runs.Add(new
            {
                kind = kind.ToString(), connections_per_endpoint = r.Connections.Json(), connections_per_client = r.PerClient.Json(), requests_per_endpoint = r.Load.Json(),
                latency_ms = new { mean = l.MeanMs(), p50 = l.PercentileMs(50), p99 = l.PercentileMs(99), p999 = l.PercentileMs(99.9), max = l.Max / 1000.0 },
                overloaded_endpoints = r.Overloaded, wall_s = r.WallSeconds,
            });

            if (kind == SubsetKind.Deterministic)
            {
                var ok = r.Connections.Min >= 0.9 && r.Connections.Max <= 1.1 && r.Connections.Zero == 0 && r.Load.Min >= 0.9 && r.Load.Max <= 1.1 && r.PerClient.Max * r.PerClient.Mean <= o.SubsetSize;
                log.WriteLine($"    every endpoint within ±10 % of the mean in connections and requests, none idle, ≤ {o.SubsetSize} per client: {(ok ? "yes" : "NO")}");
                misses += ok ? 0 : 1;
            }
        }

        Output.Write(o.OutputDirectory, "fleet", csv.ToString(), new
        {
            scenario = "fleet", machine = Output.Machine(), clients = o.Clients, endpoints = o.Endpoints, subset = o.SubsetSize, strategy = o.Strategy,
            utilization = o.Utilization, requests = o.Requests, seed = o.Seed,
            model = "single-server FIFO endpoints, exponential service mean 10 ms, Poisson arrivals, client chosen uniformly per request",
            runs,
        }, log);
        File.WriteAllText(Path.Combine(o.OutputDirectory, "fleet-latency.csv"), latencyCsv.ToString());
        return misses;
    }

    internal sealed record Result(Spread Connections, Spread PerClient, Spread Load, QueueingFleet Fleet, int Overloaded, double WallSeconds);

    internal static Result Simulate(SubsetKind kind, SimOptions o)
    {
        var wall = Stopwatch.StartNew();
        var members = Subsets.Endpoints(o.Endpoints);
        var subsets = Subsets.Build(kind, members, o.Clients, o.SubsetSize, o.Seed);
        var clock = new SimClock();
        var interarrival = MeanService / (o.Utilization * o.Endpoints);
        var warmup = o.Requests / 10;
        var fleet = new QueueingFleet(clock, o.Endpoints, MeanService, new Random(o.Seed + 2), (long)(warmup * interarrival));
        var pools = new ServicePool[o.Clients];
        try
        {
            for (var c = 0; c < o.Clients; c++)
            {
                var options = new LoadBalancingOptions { Strategy = o.Strategy };
                options.Retries.Enabled = false;
                foreach (var e in subsets[c])
                {
                    options.Endpoints.Add(members[e]);
                }

                pools[c] = SimPools.Create($"client-{c}", options, clock, new Random(o.Seed * 100_003 + c));
                fleet.Map(pools[c], subsets[c]);
            }

            var rng = new Random(o.Seed);
            var t = 0L;
            var carry = 0d;
            for (long r = 0; r < o.Requests; r++)
            {
                carry += -Math.Log(1 - rng.NextDouble()) * interarrival;
                var step = (long)carry;
                carry -= step;
                t += step;
                fleet.Arrive(t, pools[rng.Next(o.Clients)]);
            }

            fleet.CompleteUntil(long.MaxValue);
        }
        finally
        {
            foreach (var pool in pools)
            {
                pool?.Dispose();
            }
        }

        var connections = Subsets.ClientsPerEndpoint(subsets, o.Endpoints);
        var load = Spread.Of(fleet.Requests.Select(x => (double)x).ToArray());

        // An endpoint offered more than 1 / utilization times the mean is asked for more than it can serve.
        var overloaded = fleet.Requests.Count(x => x > load.Mean / o.Utilization);
        return new Result(Spread.Of(connections), Spread.Of(subsets.Select(s => s.Length)), load, fleet, overloaded, wall.Elapsed.TotalSeconds);
    }
}
