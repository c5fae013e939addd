using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;

namespace Loadstone.Benchmarks;

/// <summary>
/// The default configuration plus the median (the shared machine is noisy, so docs/performance.md reports medians)
/// and allocated bytes per operation. The job comes from the command line (<c>--job short</c>, <c>--job dry</c>);
/// with <c>--cpu-clock</c>, the default job (tuned by <c>--iterationCount</c> and the like) times with
/// <see cref="ThreadCpuClock"/> instead of the wall clock.
/// </summary>
internal static class BenchmarkConfig
{
    public const string CpuClockSwitch = "--cpu-clock";

    public static IConfig Create(bool cpuClock)
    {
        var config = DefaultConfig.Instance
            .AddColumn(StatisticColumn.Median)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));

        // A job marked as the default is the one BenchmarkDotNet applies the command-line job settings to.
        return cpuClock ? config.AddJob(Job.ShortRun.WithClock(new ThreadCpuClock()).WithId("CpuClock").AsDefault()) : config;
    }
}
