using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loadstone.Demo;

/// <summary>What one burst of traffic did: requests per backend (by the name each backend answered) and latencies.</summary>
internal sealed record TrafficResult(
    IReadOnlyDictionary<string, int> PerBackend,
    double[] LatenciesMs,
    int Failures,
    TimeSpan Elapsed)
{
    public int Succeeded => PerBackend.Values.Sum();

    public int CountOf(string backend) => PerBackend.TryGetValue(backend, out var n) ? n : 0;

    public double ShareOf(string backend) => Succeeded == 0 ? 0 : 100.0 * CountOf(backend) / Succeeded;

    public double MeanMs => LatenciesMs.Length == 0 ? double.NaN : LatenciesMs.Average();

    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0)
        {
            return double.NaN;
        }

        // Nearest rank: the smallest value with at least p % of the samples at or below it.
        var sorted = LatenciesMs.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

internal static class Traffic
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Sends exactly <paramref name="requests"/> GET requests to <c>/items/{i}</c> through <paramref name="client"/>,
    /// at most <paramref name="concurrency"/> at a time, and counts which backend answered each.
    /// </summary>
    public static async Task<TrafficResult> SendAsync(HttpClient client, int requests, int concurrency, CancellationToken cancellationToken)
    {
        var perBackend = new Dictionary<string, int>(StringComparer.Ordinal);
        var latencies = new double[requests];
        var answered = new bool[requests];
        var next = -1;
        var failures = 0;
        var total = Stopwatch.StartNew();

        async Task WorkerAsync()
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= requests)
                {
                    return;
                }

                var start = Stopwatch.GetTimestamp();
                try
                {
                    var backend = await client.GetStringAsync(new Uri($"/items/{i}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    answered[i] = true;
                    lock (perBackend)
                    {
                        perBackend[backend] = perBackend.GetValueOrDefault(backend) + 1;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => WorkerAsync())).ConfigureAwait(false);
        var measured = latencies.Where((_, i) => answered[i]).ToArray();
        return new TrafficResult(perBackend, measured, failures, total.Elapsed);
    }

    /// <summary>Prints how the requests were spread over <paramref name="backends"/>, one row each, then the latency line.</summary>
    public static void PrintSpread(TrafficResult result, IEnumerable<DemoBackend> backends, Func<DemoBackend, int>? weightOf = null)
    {
        Console.WriteLine("    endpoint  address                  zone    weight  sim. latency  requests   share");
        foreach (var b in backends)
        {
            var share = result.ShareOf(b.Name);
            Console.WriteLine(string.Format(s_inv, "    {0,-8}  {1,-23}  {2,-6}  {3,6}  {4,9} ms  {5,8}  {6,5:0.0} %  {7}",
                b.Name, b.Address.ToString().TrimEnd('/'), b.Zone, weightOf?.Invoke(b) ?? b.Weight,
                b.Latency.TotalMilliseconds, result.CountOf(b.Name), share, Bar(share)).TrimEnd());
        }

        Console.WriteLine(string.Format(s_inv,
            "    client latency p50 {0:0.0} ms, p99 {1:0.0} ms, mean {2:0.0} ms; {3} ok, {4} failed; {5:0.00} s",
            result.Percentile(50), result.Percentile(99), result.MeanMs, result.Succeeded, result.Failures, result.Elapsed.TotalSeconds));
    }

    // One '#' per 2.5 %, so 100 % is 40 characters wide.
    private static string Bar(double share) => new StringBuilder().Append('#', (int)Math.Round(share / 2.5)).ToString();
}
