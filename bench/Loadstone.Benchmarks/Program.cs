using BenchmarkDotNet.Running;

namespace Loadstone.Benchmarks;

/// <summary>
/// Entry point. Run in Release and pick benchmarks with BenchmarkDotNet's switches, e.g.
/// <c>dotnet run -c Release --project bench/Loadstone.Benchmarks -- --filter '*StrategyBenchmarks*' --job short --inProcess</c>.
/// <c>--cpu-clock</c> (with <c>--inProcess</c>) times by the thread's CPU time; see <see cref="ThreadCpuClock"/>.
/// Without <c>--filter</c> it asks which benchmarks to run. See docs/performance.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var cpuClock = args.Contains(BenchmarkConfig.CpuClockSwitch, StringComparer.OrdinalIgnoreCase);
        var rest = args.Where(a => !a.Equals(BenchmarkConfig.CpuClockSwitch, StringComparison.OrdinalIgnoreCase)).ToArray();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, BenchmarkConfig.Create(cpuClock));
    }
}
