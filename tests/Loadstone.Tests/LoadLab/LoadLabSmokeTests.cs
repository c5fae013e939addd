using System.Globalization;
using Loadstone.LoadLab;

namespace Loadstone.Tests.LoadLab;

/// <summary>
/// The performance lab's short mode, as CI runs it: each scenario that needs no apt package runs for a fraction of a
/// second against real backend processes (or in virtual time) and must produce a table and sane result files. It never
/// asserts a speed. HAProxy and nginx are left out (--no-peers): CI machines do not have them.
/// </summary>
[Collection(nameof(LoadLabSmokeTests))]
public sealed class LoadLabSmokeTests : IDisposable
{
    private static readonly string[] s_short = ["--short", "--no-peers", "--duration", "1s", "--warmup", "100ms"];

    private readonly string _out = Directory.CreateTempSubdirectory("loadlab-smoke-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Homogeneous_ShortMode_ReportsEveryClientKindWithoutErrors()
    {
        var (code, text) = await RunAsync("homogeneous");

        Assert.True(code == 0, text);
        Assert.Contains("== Scenario 1", text, StringComparison.Ordinal);
        var rows = Summary("homogeneous");
        Assert.Equal(["direct", "p2c", "peakewma", "roundrobin"], rows.Select(r => r["kind"]).Order(StringComparer.Ordinal));
        Assert.All(rows, r =>
        {
            Assert.True(long.Parse(r["requests"], CultureInfo.InvariantCulture) > 0, $"{r["kind"]} sent no request");
            Assert.Equal("0", r["errors"]);
            Assert.True(double.Parse(r["p50_ms"], CultureInfo.InvariantCulture) <= double.Parse(r["p99_ms"], CultureInfo.InvariantCulture));
        });
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task Slow_ShortMode_ReportsBothConditionsPerKind()
    {
        var (code, text) = await RunAsync("slow");

        Assert.True(code == 0, text);
        var rows = Summary("slow");
        Assert.Equal(12, rows.Count); // direct, p2c, peakewma, roundrobin, p2c+hedge, peakewma+hedge
        Assert.Equal(["healthy", "one-slow"], rows.Select(r => r["condition"]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.True(long.Parse(r["requests"], CultureInfo.InvariantCulture) > 0));
        Assert.True(File.Exists(Path.Combine(_out, "slow-cdf.dat")));
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task Failure_ShortMode_RunsEveryKindWithFaultsInjected()
    {
        var (code, text) = await RunAsync("failure");

        Assert.True(code == 0, text);
        var rows = Summary("failure");
        Assert.Equal(["direct", "p2c", "p2c-eject20", "peakewma", "roundrobin"], rows.Select(r => r["kind"]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.True(long.Parse(r["requests"], CultureInfo.InvariantCulture) > 0));
        var json = await File.ReadAllTextAsync(Path.Combine(_out, "failure.json"));
        Assert.Contains("to_503_after_fault", json, StringComparison.Ordinal);
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task Zones_ShortMode_ReportsACrossZoneShareBetweenZeroAndOne()
    {
        var (code, text) = await RunAsync("zones");

        Assert.True(code == 0, text);
        var json = await File.ReadAllTextAsync(Path.Combine(_out, "zones.json"));
        var shares = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("summaries").EnumerateArray()
            .Select(s => s.GetProperty("extra").GetProperty("cross_zone_share").GetDouble()).ToList();
        Assert.True(shares.Count >= 2, text);
        Assert.All(shares, s => Assert.InRange(s, 0, 1));
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task Outage_ShortMode_TwoBackendsKilled_LoadstoneLosesNothingWhereTheDirectClientDoes()
    {
        var (code, text) = await RunAsync("outage", "--kinds", "direct,p2c");

        Assert.True(code == 0, text);
        var rows = Summary("outage");
        Assert.Equal(["closed-loop", "fixed-rate"], rows.Select(r => r["condition"]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.True(long.Parse(r["requests"], CultureInfo.InvariantCulture) > 0, $"{r["kind"]} sent no request"));
        Assert.All(rows.Where(r => r["kind"] == "direct"), r => Assert.NotEqual("0", r["errors"])); // the faults were injected
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task SlowNode_ShortMode_ReportsSuccessAndExtraRequests()
    {
        var (code, text) = await RunAsync("slownode", "--kinds", "peakewma,p2c+hedge");

        Assert.True(code == 0, text);
        var json = await File.ReadAllTextAsync(Path.Combine(_out, "slownode.json"));
        var extras = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("summaries").EnumerateArray()
            .Select(s => s.GetProperty("extra")).ToList();
        Assert.Equal(2, extras.Count);
        Assert.All(extras, e => Assert.InRange(e.GetProperty("success_pct").GetDouble(), 0, 100));
        Assert.Equal(0, ChildProcesses.Count);
    }

    [Fact]
    public async Task Fleet_ShortMode_SimulatesEveryStrategyAndMeasuresCosts()
    {
        var (code, text) = await RunAsync("fleet");

        Assert.True(code == 0, text);
        var lines = await File.ReadAllLinesAsync(Path.Combine(_out, "fleet.csv"));
        Assert.Equal(5, lines.Length); // header + RoundRobin, Random, PowerOfTwoChoices, PeakEwma
        Assert.All(lines.Skip(1), l => Assert.True(double.Parse(l.Split(',')[4], CultureInfo.InvariantCulture) > 0, l));
        Assert.Contains("snapshot rebuild", text, StringComparison.Ordinal);
        Assert.Contains("memory retained per endpoint", text, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Text)> RunAsync(string scenario, params string[] more)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await Lab.RunAsync([scenario, .. s_short, .. more, "--out", _out], writer, timeout.Token);
        return (code, writer.ToString());
    }

    private List<Dictionary<string, string>> Summary(string scenario)
    {
        var lines = File.ReadAllLines(Path.Combine(_out, scenario + "-summary.csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal)).ToList();
    }
}

/// <summary>The lab's runs start backend processes and drive load: run them alone, after the parallel tests, so a busy
/// machine cannot starve a client kind of its whole (short) run.</summary>
[CollectionDefinition(nameof(LoadLabSmokeTests), DisableParallelization = true)]
public sealed class LoadLabSmokeCollection;
