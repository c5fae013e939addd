using BenchmarkDotNet.Running;

namespace Loadstone.Benchmarks;

/// <summary>
/// Entry point. Run in Release and pick benchmarks with BenchmarkDotNet's switches, e.g.
/// <c>dotnet run -c Release --project bench/Loadstone.Benchmarks -- --filter '*Strategy*' --job short</c>.
/// Without <c>--filter</c> it asks which benchmarks to run. See docs/performance.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
}
