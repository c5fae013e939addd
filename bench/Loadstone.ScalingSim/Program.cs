using System.Diagnostics;
using System.Globalization;
using System.Text;
using Loadstone.Scaling;
using Loadstone.ScalingSim;

// A day of varying load in virtual time: target tracking on in-flight requests per instance vs a fixed pool sized
// for the peak. Usage: dotnet run -c Release --project bench/Loadstone.ScalingSim [-- options]
//   --short                10:30–12:30 only (around the 11:00 spike), a few seconds; files named short-*.csv
//   --seed N               the day's seed (default 42)
//   --clients K            K simulated clients, each with the day's load (its own noise and arrivals) and its own pool;
//                          with K > 1 the group scales on the fleet's figures (each pool reported every
//                          --report-interval seconds, default 5, to a FleetLoadAggregator); files named fleet{K}-*
//   --scale-out-periods N  the target tracking policy's ScaleOutEvaluationPeriods (default 3, as Auto Scaling)
//   --scale-in-periods N   its ScaleInEvaluationPeriods (default 15, as Auto Scaling)
//   --out DIR              where the CSVs go (default bench/results/scaling)
const double Target = 10;
var shortRun = args.Contains("--short");
var seed = ArgValue("--seed") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 42;
var clients = ArgValue("--clients") is { } k ? int.Parse(k, CultureInfo.InvariantCulture) : 1;
var reportInterval = TimeSpan.FromSeconds(ArgValue("--report-interval") is { } r ? double.Parse(r, CultureInfo.InvariantCulture) : 5);
var scaleOutPeriods = ArgValue("--scale-out-periods") is { } so ? int.Parse(so, CultureInfo.InvariantCulture) : ScalingGroupDefaults.ScaleOutEvaluationPeriods;
var scaleInPeriods = ArgValue("--scale-in-periods") is { } si ? int.Parse(si, CultureInfo.InvariantCulture) : ScalingGroupDefaults.ScaleInEvaluationPeriods;
var outDir = ArgValue("--out") ?? Path.Combine(RepositoryRoot(), "bench", "results", "scaling");
var settings = shortRun
    ? new SimulationSettings(10 * 3600 + 1800, 12 * 3600 + 1800, seed, clients > 1, reportInterval)
    : new SimulationSettings(0, LoadModel.SecondsPerDay, seed, clients > 1, reportInterval);
var prefix = (clients > 1 ? $"fleet{clients}-" : "")
    + (scaleOutPeriods != ScalingGroupDefaults.ScaleOutEvaluationPeriods || scaleInPeriods != ScalingGroupDefaults.ScaleInEvaluationPeriods ? $"out{scaleOutPeriods}-in{scaleInPeriods}-" : "")
    + (shortRun ? "short" : "day");

// Client 0 has the single-client run's day; the others their own noise.
var loads = Enumerable.Range(0, clients).Select(c => new LoadModel(seed + (7_919 * c))).ToList();
var simulation = new DaySimulation(loads, settings);
double Total(int second) => loads.Sum(l => l.ExpectedInFlight(second));
var peakLoad = Enumerable.Range(settings.StartSecond, settings.EndSecond - settings.StartSecond).Max(x => Total(x));
var fixedSize = (int)Math.Ceiling(peakLoad / Target);
var initial = (int)Math.Ceiling(Total(settings.StartSecond) / Target);

Console.WriteLine($"Simulating {Clock(settings.StartSecond)}–{Clock(settings.EndSecond)} (seed {seed}, {clients} client(s){(clients > 1 ? $", fleet metrics reported every {reportInterval.TotalSeconds:0.#} s" : "")}); expected peak in flight {peakLoad:F0}, target {Target} per instance, periods out {scaleOutPeriods} / in {scaleInPeriods}.");
var watch = Stopwatch.StartNew();
var tracking = simulation.Run("target-tracking", o =>
{
    o.MinSize = 2;
    o.MaxSize = Math.Max(40, (int)Math.Ceiling(peakLoad * 1.2 / Target));
    o.DesiredCapacity = initial;
    o.Policies.Add(new TargetTrackingScalingPolicy
    {
        Name = "in-flight",
        Metric = ScalingMetric.AverageInFlightRequests,
        TargetValue = Target,
        ScaleOutEvaluationPeriods = scaleOutPeriods,
        ScaleInEvaluationPeriods = scaleInPeriods,
    });
});
Console.WriteLine($"  target tracking: {watch.Elapsed.TotalSeconds:F1} s real time");
watch.Restart();
var fixedPool = simulation.Run($"fixed-{fixedSize}", o =>
{
    o.MinSize = fixedSize;
    o.MaxSize = fixedSize;
});
Console.WriteLine($"  fixed pool of {fixedSize}: {watch.Elapsed.TotalSeconds:F1} s real time");

var summaries = new[] { Summarize(tracking), Summarize(fixedPool) };
Directory.CreateDirectory(outDir);
WriteMinutes(Path.Combine(outDir, $"{prefix}-minutes.csv"), tracking, fixedPool);
WriteSummary(Path.Combine(outDir, $"{prefix}-summary.csv"), summaries);

Console.WriteLine();
Console.WriteLine($"| | {tracking.Name} | {fixedPool.Name} (sized for the peak) |");
Console.WriteLine("|---|---|---|");
Row("mean in-flight per instance (1-min averages)", x => $"{x.Mean:F2} (target {Target})");
Row("p95 in-flight per instance (1-min averages)", x => $"{x.P95:F2}");
Row("max in-flight per instance (1-min averages)", x => $"{x.Max:F2}");
Row("time within ±10 % of target (1-min)", x => $"{x.Within10:F1} %");
Row("time within ±20 % of target (1-min)", x => $"{x.Within:F1} %");
Row("time above +20 % of target (1-min)", x => $"{x.Above:F1} %");
Row("p95 in-flight per instance (1-s samples)", x => $"{x.P95Second:F2}");
Row("time within ±20 % of target (1-s samples)", x => $"{x.WithinSecond:F1} %");
Row("scaling actions (capacity changes)", x => $"{x.Run.CapacityChanges}");
Row("launches / terminations", x => $"{x.Run.Launches} / {x.Run.Terminations}");
Row("instance-hours", x => $"{x.Run.InstanceHours:F1}");
Row("peak instances", x => $"{x.Run.PeakInstances}");
Row("requests / failed (no endpoint)", x => $"{x.Run.Requests:N0} / {x.Run.FailedRequests}");
Console.WriteLine();
Console.WriteLine($"wrote {Path.Combine(outDir, prefix + "-minutes.csv")} and {prefix}-summary.csv; plot: bench/scripts/plot-scaling.sh");
return 0;

void Row(string label, Func<Summary, string> value) =>
    Console.WriteLine($"| {label} | {value(summaries[0])} | {value(summaries[1])} |");

string? ArgValue(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string Clock(int second) => $"{second / 3600:D2}:{second / 60 % 60:D2}";

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Library.sln")))
        {
            return dir.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

static Summary Summarize(RunResult run)
{
    var minutes = run.Minutes.Select(m => m.PerInstance).Where(double.IsFinite).ToArray();
    var seconds = run.PerInstanceBySecond.Where(double.IsFinite).ToArray();
    return new Summary(
        run,
        minutes.Average(),
        Percentile(minutes, 0.95),
        minutes.Max(),
        Share(minutes, v => Math.Abs(v - Target) <= 0.2 * Target),
        Share(minutes, v => Math.Abs(v - Target) <= 0.1 * Target),
        Share(minutes, v => v > 1.2 * Target),
        Percentile(seconds, 0.95),
        Share(seconds, v => Math.Abs(v - Target) <= 0.2 * Target));
}

static double Percentile(double[] values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static double Share(double[] values, Func<double, bool> predicate) => 100.0 * values.Count(predicate) / values.Length;

static void WriteMinutes(string path, RunResult tracking, RunResult fixedPool)
{
    var csv = new StringBuilder("minute,hour,expected_in_flight,in_flight,tt_desired,tt_in_service,tt_instances,tt_per_instance,fixed_in_service,fixed_per_instance\n");
    for (var i = 0; i < tracking.Minutes.Count; i++)
    {
        var t = tracking.Minutes[i];
        var f = fixedPool.Minutes[i];
        csv.Append(CultureInfo.InvariantCulture,
            $"{t.Minute},{t.Minute / 60.0:F4},{t.ExpectedInFlight:F2},{t.InFlight:F2},{t.Desired:F2},{t.InService:F2},{t.Instances:F2},{t.PerInstance:F3},{f.InService:F2},{f.PerInstance:F3}\n");
    }

    File.WriteAllText(path, csv.ToString());
}

static void WriteSummary(string path, Summary[] summaries)
{
    var csv = new StringBuilder("run,target,mean_per_instance_1min,p95_per_instance_1min,max_per_instance_1min,within_20pct_1min,within_10pct_1min,above_20pct_1min,p95_per_instance_1s,within_20pct_1s,capacity_changes,launches,terminations,instance_hours,peak_instances,requests,failed_requests\n");
    foreach (var x in summaries)
    {
        csv.Append(CultureInfo.InvariantCulture,
            $"{x.Run.Name},{Target},{x.Mean:F3},{x.P95:F3},{x.Max:F3},{x.Within:F2},{x.Within10:F2},{x.Above:F2},{x.P95Second:F3},{x.WithinSecond:F2},{x.Run.CapacityChanges},{x.Run.Launches},{x.Run.Terminations},{x.Run.InstanceHours:F2},{x.Run.PeakInstances},{x.Run.Requests},{x.Run.FailedRequests}\n");
    }

    File.WriteAllText(path, csv.ToString());
}

internal sealed record Summary(RunResult Run, double Mean, double P95, double Max, double Within, double Within10, double Above, double P95Second, double WithinSecond);
