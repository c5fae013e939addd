using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Loadstone.Benchmarks;

/// <summary>
/// The default configuration plus the median (the shared machine is noisy, so medians are what docs/performance.md
/// reports) and allocated bytes per operation. The job comes from the command line (<c>--job short</c>, <c>--job dry</c>).
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddColumn(StatisticColumn.Median)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
}
