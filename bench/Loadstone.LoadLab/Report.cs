using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Loadstone.LoadLab;

/// <summary>The median figures of one client kind (under one condition) across rounds.</summary>
/// <remarks>
/// The ratios against the direct client are paired: each round's figure over the direct client's figure of the same
/// round (and condition), then the median of those ratios, so that drifts in the machine's load cancel out.
/// </remarks>
/// <remarks>
/// The percentiles are of the corrected latencies (see <see cref="RunResult.Histogram"/>); <c>P99RawMs</c> is the p99 of
/// the latencies as measured.
/// </remarks>
internal sealed record Summary(string Condition, string Kind, int Rounds, double Rps, double RpsMin, double RpsMax, double P50Ms, double P99Ms,
    double P999Ms, double P99RawMs, long Requests, long Errors, double RpsVsDirect, double P99VsDirect, IReadOnlyDictionary<string, double> Extra);

/// <summary>Tables on stdout, CSV and JSON files, and plot data.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static List<Summary> Summarize(IReadOnlyList<RunResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var summaries = new List<Summary>();
        foreach (var group in results.GroupBy(r => (r.Condition, r.Kind)))
        {
            var runs = group.ToList();
            var extra = runs.SelectMany(r => r.Extra.Keys).Distinct(StringComparer.Ordinal)
                .ToDictionary(k => k, k => Median(runs.Where(r => r.Extra.ContainsKey(k)).Select(r => r.Extra[k])), StringComparer.Ordinal);
            var directs = results.Where(r => r.Kind == "direct" && r.Condition == group.Key.Condition).ToDictionary(r => r.Round);
            var paired = runs.Where(r => directs.ContainsKey(r.Round)).ToList();
            summaries.Add(new Summary(group.Key.Condition, group.Key.Kind, runs.Count,
                Median(runs.Select(r => r.Throughput)), runs.Min(r => r.Throughput), runs.Max(r => r.Throughput),
                Median(runs.Select(r => r.Histogram.PercentileMs(50))),
                Median(runs.Select(r => r.Histogram.PercentileMs(99))), Median(runs.Select(r => r.Histogram.PercentileMs(99.9))),
                Median(runs.Select(r => r.RawHistogram.PercentileMs(99))),
                runs.Sum(r => r.Requests), runs.Sum(r => r.Errors),
                Median(paired.Select(r => r.Throughput / directs[r.Round].Throughput)),
                Median(paired.Select(r => r.Histogram.PercentileMs(99) / directs[r.Round].Histogram.PercentileMs(99))), extra));
        }

        return summaries;
    }

    public static void PrintTable(TextWriter output, string title, IReadOnlyList<Summary> summaries, IReadOnlyList<string> skipped)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(skipped);
        output.WriteLine();
        output.WriteLine($"== {title} (medians across rounds) ==");
        var extraKeys = summaries.SelectMany(s => s.Extra.Keys).Distinct(StringComparer.Ordinal).ToList();
        var header = new List<string> { "condition", "kind", "rounds", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "p99 raw ms", "requests", "errors", "req/s vs direct*", "p99 vs direct*" };
        header.AddRange(extraKeys);
        var rows = summaries.Select(s =>
        {
            var row = new List<string>
            {
                s.Condition, s.Kind, I(s.Rounds), F(s.Rps, 0), F(s.P50Ms, 3), F(s.P99Ms, 3), F(s.P999Ms, 3), F(s.P99RawMs, 3), I(s.Requests), I(s.Errors),
                F(s.RpsVsDirect, 2), F(s.P99VsDirect, 2),
            };
            row.AddRange(extraKeys.Select(k => s.Extra.TryGetValue(k, out var v) ? F(v, 3) : "-"));
            return row;
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadLeft(widths[i]))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadLeft(widths[i]))));
        }

        output.WriteLine("* paired: median over rounds of (this kind's figure / the direct client's figure in the same round)");
        output.WriteLine("closed-loop percentiles are corrected for coordinated omission (expected interval: the run's median); p99 raw is as measured");
        foreach (var s in skipped)
        {
            output.WriteLine($"skipped: {s}");
        }
    }

    /// <summary>Writes {name}.csv (every round), {name}-summary.csv, {name}.json and {name}-cdf.dat.</summary>
    public static void Write(string directory, string name, IReadOnlyList<RunResult> results, IReadOnlyList<Summary> summaries,
        IReadOnlyList<string> skipped, object? details, LabOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("scenario,condition,kind,round,requests,errors,seconds,rps,p50_ms,p99_ms,p999_ms,p99_raw_ms\n");
        foreach (var r in results)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{name},{r.Condition},{r.Kind},{r.Round},{r.Requests},{r.Errors},{r.Seconds:0.###},{r.Throughput:0.#},{r.Histogram.PercentileMs(50):0.###},{r.Histogram.PercentileMs(99):0.###},{r.Histogram.PercentileMs(99.9):0.###},{r.RawHistogram.PercentileMs(99):0.###}\n");
        }

        File.WriteAllText(Path.Combine(directory, name + ".csv"), csv.ToString());

        var sum = new StringBuilder("scenario,condition,kind,rounds,rps,rps_min,rps_max,p50_ms,p99_ms,p999_ms,p99_raw_ms,requests,errors,rps_vs_direct,p99_vs_direct\n");
        foreach (var s in summaries)
        {
            sum.Append(CultureInfo.InvariantCulture, $"{name},{s.Condition},{s.Kind},{s.Rounds},{s.Rps:0.#},{s.RpsMin:0.#},{s.RpsMax:0.#},{s.P50Ms:0.###},{s.P99Ms:0.###},{s.P999Ms:0.###},{s.P99RawMs:0.###},{s.Requests},{s.Errors},{s.RpsVsDirect:0.###},{s.P99VsDirect:0.###}\n");
        }

        File.WriteAllText(Path.Combine(directory, name + "-summary.csv"), sum.ToString());

        // CDF per kind (rounds merged): "condition/kind" blocks separated by two blank lines, for gnuplot's index.
        var cdf = new StringBuilder("# latency_ms fraction; one block per condition/kind, in the order of the header list\n");
        var groups = results.GroupBy(r => (r.Condition, r.Kind)).ToList();
        cdf.Append("# blocks: ").AppendJoin(' ', groups.Select(g => string.IsNullOrEmpty(g.Key.Condition) ? g.Key.Kind : $"{g.Key.Condition}/{g.Key.Kind}")).Append('\n');
        foreach (var g in groups)
        {
            var merged = new LatencyHistogram();
            foreach (var r in g)
            {
                merged.Add(r.Histogram);
            }

            cdf.Append(CultureInfo.InvariantCulture, $"# {g.Key.Condition}/{g.Key.Kind}\n");
            foreach (var (ms, fraction) in merged.Cdf())
            {
                cdf.Append(CultureInfo.InvariantCulture, $"{ms:0.######} {fraction:0.#######}\n");
            }

            cdf.Append("\n\n");
        }

        File.WriteAllText(Path.Combine(directory, name + "-cdf.dat"), cdf.ToString());

        var json = new
        {
            scenario = name,
            machine = Machine(),
            options = new
            {
                duration_s = options.Duration.TotalSeconds, warmup_s = options.Warmup.TotalSeconds, options.Concurrency, options.Rounds,
                options.Backends, options.MaxRequests, options.Short,
            },
            summaries = summaries.Select(s => new
            {
                s.Condition, s.Kind, s.Rounds, rps = R(s.Rps), rps_min = R(s.RpsMin), rps_max = R(s.RpsMax), p50_ms = R(s.P50Ms), p99_ms = R(s.P99Ms), p999_ms = R(s.P999Ms), p99_raw_ms = R(s.P99RawMs),
                s.Requests, s.Errors, rps_vs_direct = R(s.RpsVsDirect), p99_vs_direct = R(s.P99VsDirect),
                extra = s.Extra.ToDictionary(kv => kv.Key, kv => R(kv.Value)),
            }),
            skipped,
            details,
        };
        File.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(json, s_json));
        output.WriteLine($"results: {Path.Combine(directory, name)}{{.csv,-summary.csv,.json,-cdf.dat}}");
    }

    public static object Machine() => new
    {
        os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        cpus = Environment.ProcessorCount,
        cpu = CpuModel(),
        load_average = LoadAverage(),
        utc = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
    };

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double? R(double v) => double.IsNaN(v) || double.IsInfinity(v) ? null : Math.Round(v, 4);

    private static string F(double v, int digits) => double.IsNaN(v) ? "-" : v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
}
