using System.Globalization;

namespace Loadstone.GrpcLab;

/// <summary>
/// <c>dotnet run -c Release --project bench/Loadstone.GrpcLab [-- --short] [--calls N] [--concurrency N] [--slow-ms N]</c>.
/// Exits with 1 when Loadstone's PeakEwma p99 with one slow backend is above 1.5 times its all-healthy p99.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length >= 3 && args[0] == "serve")
        {
            return await Backend.ServeAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        }

        var options = LabOptions.Parse(args);
        var (results, report) = await Lab.RunAsync(options, Console.Out);
        Console.WriteLine();
        Console.WriteLine(report);
        var healthy = results.Single(r => r.Client == "Loadstone PeakEwma" && !r.Slow);
        var slow = results.Single(r => r.Client == "Loadstone PeakEwma" && r.Slow);
        var ratio = slow.P99 / healthy.P99;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PeakEwma p99 ratio {ratio:F2} (target <= 1.50): {(ratio <= 1.5 ? "met" : "NOT met")}"));
        return ratio <= 1.5 || args.Contains("--short") ? 0 : 1;
    }
}
