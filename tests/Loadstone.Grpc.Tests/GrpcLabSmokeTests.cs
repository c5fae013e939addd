using Loadstone.GrpcLab;

namespace Loadstone.Grpc.Tests;

/// <summary>
/// The gRPC lab (bench/Loadstone.GrpcLab) in its short mode: backend processes start, every client runs in both phases
/// with no failed call, and the report has its rows. Its figures are judged by a full run (docs/integrations.md), not here.
/// </summary>
public sealed class GrpcLabSmokeTests
{
    [Fact]
    public async Task ShortRun_EveryClientInBothPhases_NoFailedCall()
    {
        var log = new StringWriter();

        var (results, report) = await Lab.RunAsync(LabOptions.Short, log);

        Assert.Equal(8, results.Count);
        Assert.All(results, r => Assert.Equal(0, r.Failed));
        Assert.Equal(["Grpc.Net.Client round_robin", "Loadstone PeakEwma", "Loadstone PowerOfTwoChoices", "Loadstone RoundRobin"],
            results.Select(r => r.Client).Distinct().Order());
        Assert.All(results.Where(r => r.Slow && r.Client.EndsWith("RoundRobin", StringComparison.Ordinal)), r => Assert.InRange(r.SlowShare, 0.3, 0.37));
        Assert.Contains("p99 with one slow backend / all-healthy p99 of the same client", report, StringComparison.Ordinal);
    }
}
