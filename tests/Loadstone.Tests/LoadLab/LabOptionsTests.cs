using Loadstone.LoadLab;

namespace Loadstone.Tests.LoadLab;

public sealed class LabOptionsTests
{
    [Fact]
    public void Parse_ScenarioOnly_DocumentedDefaults()
    {
        var o = LabOptions.Parse(["homogeneous"]);

        Assert.Equal("homogeneous", o.Command);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Duration);
        Assert.Equal(TimeSpan.FromSeconds(1), o.Warmup);
        Assert.Equal(32, o.Concurrency);
        Assert.Equal(5, o.Rounds);
        Assert.Equal(10, o.Backends);
        Assert.Equal(2_000_000, o.MaxRequests);
        Assert.Equal(10_000, o.Endpoints);
        Assert.Equal(1_000_000, o.Requests);
        Assert.Equal(42, o.Seed);
        Assert.Null(o.Kinds);
        Assert.Null(o.Out);
        Assert.False(o.NoPeers);
        Assert.False(o.Short);
    }

    [Fact]
    public void Parse_EveryOption_ReadsItsValue()
    {
        var o = LabOptions.Parse(["Slow", "--duration", "2s", "--warmup", "500ms", "--concurrency", "8", "--rounds", "3", "--backends", "4",
            "--max-requests", "1000", "--kinds", "direct, p2c", "--no-peers", "--endpoints", "50", "--requests", "70", "--seed", "9", "--out", "/tmp/x"]);

        Assert.Equal("slow", o.Command);
        Assert.Equal(TimeSpan.FromSeconds(2), o.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.Warmup);
        Assert.Equal(8, o.Concurrency);
        Assert.Equal(3, o.Rounds);
        Assert.Equal(4, o.Backends);
        Assert.Equal(1000, o.MaxRequests);
        Assert.True(o.Wants("P2C") && o.Wants("direct") && !o.Wants("peakewma"));
        Assert.True(o.NoPeers);
        Assert.Equal(50, o.Endpoints);
        Assert.Equal(70, o.Requests);
        Assert.Equal(9, o.Seed);
        Assert.Equal("/tmp/x", o.Out);
    }

    [Fact]
    public void Parse_Short_TinyDefaultsButExplicitOptionsWin()
    {
        var o = LabOptions.Parse(["fleet", "--short", "--duration", "1s"]);

        Assert.True(o.Short);
        Assert.Equal(TimeSpan.FromSeconds(1), o.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(200), o.Warmup);
        Assert.Equal(4, o.Concurrency);
        Assert.Equal(3, o.Backends);
        Assert.Equal(500, o.Endpoints);
        Assert.Equal(20_000, o.Requests);
    }

    [Fact]
    public void Parse_BadInput_ListsEveryProblem()
    {
        var ex = Assert.Throws<ArgumentException>(() => LabOptions.Parse(["bogus", "--duration", "3x", "--concurrency", "0", "--frob"]));

        Assert.Contains("Unknown scenario 'bogus'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--duration is '3x'; give a time such as 500ms or 10s (at most 1 h).", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--concurrency is '0'; give a whole number from 1 to 4096.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'--frob'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoScenario_Throws() => Assert.Throws<ArgumentException>(() => LabOptions.Parse([]));

    [Fact]
    public async Task RunAsync_Help_WritesTheOptionsWithTheirDefaultsAndSucceeds()
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);

        var code = await Lab.RunAsync(["--help"], writer, CancellationToken.None);

        Assert.Equal(0, code);
        var text = writer.ToString();
        Assert.Contains("--concurrency", text, StringComparison.Ordinal);
        Assert.Contains("[default: 32]", text, StringComparison.Ordinal);
        Assert.Contains("slownode", text, StringComparison.Ordinal);
    }
}
