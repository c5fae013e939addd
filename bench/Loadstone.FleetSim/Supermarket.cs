using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loadstone.FleetSim;

/// <summary>
/// Validation 1, the supermarket model (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing"):
/// n = 1,000 single-server FIFO queues with exponential service (mean 1), Poisson arrivals at rate λn, each sent by
/// one pool: d = 1 is the Random strategy, d = 2 PowerOfTwoChoices (the lower in-flight count of two; a pool's
/// in-flight count is the queue length, since leases end when service does). Published mean time in system as
/// n → ∞: Σ_{i≥1} λ^((d^i − d)/(d − 1)), 2.614 at λ = 0.9 and 5.432 at λ = 0.99 for d = 2; 1/(1 − λ) for d = 1.
/// </summary>
internal static class Supermarket
{
    private const double MeanService = TimeSpan.TicksPerMillisecond * 10.0; // one time unit

    public static int Run(SimOptions o, TextWriter log)
    {
        var n = o.Endpoints;
        var csv = new StringBuilder("d,strategy,lambda,requests,mean_time,published,error,p50,p99,p999,wall_s\n");
        var rows = new List<object>();
        var failed = 0;
        foreach (var lambda in new[] { 0.9, 0.99 })
        {
            foreach (var (d, strategy) in new[] { (1, LoadBalancingStrategies.Random), (2, LoadBalancingStrategies.PowerOfTwoChoices) })
            {
                var wall = Stopwatch.StartNew();
                var (mean, fleet) = Simulate(n, lambda, strategy, o.Requests, o.Seed);
                var published = Published(lambda, d);
                var error = (mean - published) / published;
                var p50 = fleet.Latency.PercentileMs(50) / 10;
                var p99 = fleet.Latency.PercentileMs(99) / 10;
                var p999 = fleet.Latency.PercentileMs(99.9) / 10;
                var verdict = d == 2 ? (Math.Abs(error) <= 0.015 ? "within 1.5 %" : "OUTSIDE 1.5 %") : "(comparison)";
                failed += d == 2 && Math.Abs(error) > 0.015 ? 1 : 0;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  λ = {lambda:0.00}, d = {d} ({strategy,-17}): mean time in system {mean,8:0.000} (published {published:0.000}, {error,7:+0.00%;-0.00%}) {verdict}; p50 {p50:0.00} p99 {p99:0.00} p99.9 {p999:0.00}; {wall.Elapsed.TotalSeconds:0.0} s"));
                csv.Append(CultureInfo.InvariantCulture, $"{d},{strategy},{lambda},{o.Requests},{mean:0.#####},{published:0.#####},{error:0.#####},{p50:0.###},{p99:0.###},{p999:0.###},{wall.Elapsed.TotalSeconds:0.##}\n");
                rows.Add(new { d, strategy, lambda, requests = o.Requests, mean_time = mean, published, error, p50, p99, p999, wall_s = wall.Elapsed.TotalSeconds });
            }
        }

        Output.Write(o.OutputDirectory, "supermarket", csv.ToString(), new
        {
            scenario = "supermarket", machine = Output.Machine(), servers = n, requests = o.Requests, warmup = "first 20 % of arrivals", seed = o.Seed, runs = rows,
        }, log);
        return failed;
    }

    /// <summary>Σ_{i≥1} λ^((d^i − d)/(d − 1)) for d ≥ 2; 1/(1 − λ) for d = 1.</summary>
    public static double Published(double lambda, int d)
    {
        if (d == 1)
        {
            return 1 / (1 - lambda);
        }

        var sum = 0d;
        for (var i = 1; i < 64; i++)
        {
            var exponent = (Math.Pow(d, i) - d) / (d - 1);
            var term = Math.Pow(lambda, exponent);
            sum += term;
            if (term < 1e-12)
            {
                break;
            }
        }

        return sum;
    }

    public static (double MeanTime, QueueingFleet Fleet) Simulate(int n, double lambda, string strategy, long requests, int seed)
    {
        var clock = new SimClock();
        var rng = new Random(seed);
        var warmup = requests / 5;
        var interarrival = MeanService / (lambda * n);
        var options = new LoadBalancingOptions { Strategy = strategy };
        options.Retries.Enabled = false;
        foreach (var endpoint in Subsets.Endpoints(n))
        {
            options.Endpoints.Add(endpoint);
        }

        using var pool = SimPools.Create("supermarket", options, clock, new Random(seed + 1));

        // Statistics start once the warm-up's arrivals are in: (warm-up × mean interarrival) is when that happens.
        var fleet = new QueueingFleet(clock, n, MeanService, new Random(seed + 2), (long)(warmup * interarrival));
        fleet.Map(pool, Enumerable.Range(0, n).ToArray());
        var t = 0L;
        var carry = 0d;
        for (long r = 0; r < requests; r++)
        {
            carry += -Math.Log(1 - rng.NextDouble()) * interarrival;
            var step = (long)carry;
            carry -= step;
            t += step;
            fleet.Arrive(t, pool);
        }

        fleet.CompleteUntil(long.MaxValue);
        return (fleet.MeanTicks / MeanService, fleet);
    }
}
