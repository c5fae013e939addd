using System.Globalization;

namespace Loadstone.FleetSim;

/// <summary>A distribution summarised as shares of its mean: min, p1, median, p99, max, and the coefficient of variation.</summary>
internal sealed record Spread(double Mean, double Min, double P1, double Median, double P99, double Max, double Cv, double WithinTenPercent, int Zero)
{
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        var mean = sorted.Average();
        var variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length;
        double Share(double v) => mean == 0 ? 0 : v / mean;
        double At(double p) => sorted[(int)Math.Round(p * (sorted.Length - 1))];
        return new Spread(mean, Share(sorted[0]), Share(At(0.01)), Share(At(0.5)), Share(At(0.99)), Share(sorted[^1]),
            mean == 0 ? 0 : Math.Sqrt(variance) / mean,
            sorted.Count(v => Math.Abs(v - mean) <= (0.1 * mean) + 1e-9) / (double)sorted.Length,
            sorted.Count(v => v == 0));
    }

    public static Spread Of(IEnumerable<int> values) => Of(values.Select(v => (double)v).ToArray());

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"mean {Mean,9:0.##}  min {Min:0.000} p1 {P1:0.000} median {Median:0.000} p99 {P99:0.000} max {Max:0.000} (× mean)  cv {Cv:0.000}  within ±10 % {WithinTenPercent:P1}  zero {Zero}");

    public object Json() => new { mean = Mean, min = Min, p1 = P1, median = Median, p99 = P99, max = Max, cv = Cv, within_10_percent = WithinTenPercent, zero = Zero };
}

/// <summary>Where results go, and what machine made them.</summary>
internal static class Output
{
    public static object Machine() => new
    {
        os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        cpus = Environment.ProcessorCount,
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
    }

    public static void Write(string directory, string name, string csv, object json, TextWriter log)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".csv"), csv);
        File.WriteAllText(Path.Combine(directory, name + ".json"), System.Text.Json.JsonSerializer.Serialize(json, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        log.WriteLine($"results: {Path.Combine(directory, name)}{{.csv,.json}}");
    }

    public static string F(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
