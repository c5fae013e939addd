using Microsoft.Extensions.Configuration;

namespace Loadstone.Tests.Subsetting;

public sealed class SubsettingOptionsTests
{
    [Fact]
    public void Defaults_AreOffWithSizeTwentyAndApertureTwelve()
    {
        var options = new SubsettingOptions();

        Assert.Equal(SubsettingMode.Off, options.Mode);
        Assert.False(options.IsEnabled);
        Assert.Equal(20, options.SubsetSize);
        Assert.Equal(12, options.MinAperture);
        Assert.Null(options.ClientIndex);
        Assert.Null(options.ClientCount);
        Assert.Equal(SubsetZoneMode.Proportional, options.ZoneMode);
        Assert.Empty(options.Validate("catalog", null));
    }

    [Fact]
    public void Validate_DeterministicWithoutCoordinate_NamesTheSettingsAndKeys()
    {
        var options = new SubsettingOptions { Mode = SubsettingMode.Deterministic };

        var problem = Assert.Single(options.Validate("catalog", null));

        Assert.Equal("Service 'catalog': Subsetting:Mode (LoadBalancing:Services:catalog:Subsetting:Mode) is Deterministic but this client's coordinate is not set; set Subsetting:ClientIndex (LoadBalancing:Services:catalog:Subsetting:ClientIndex, e.g. a StatefulSet ordinal) and Subsetting:ClientCount (LoadBalancing:Services:catalog:Subsetting:ClientCount), or give a peer coordinate source in code (UsePeerCoordinates).", problem);
    }

    [Fact]
    public void Validate_EveryProblem_ReportedAtOnce()
    {
        var options = new SubsettingOptions
        {
            Mode = (SubsettingMode)7,
            ZoneMode = (SubsetZoneMode)9,
            SubsetSize = 0,
            MinAperture = 10_001,
            ClientIndex = 5,
            ClientCount = 5,
        };

        var problems = options.Validate("catalog", null);

        Assert.Equal(
        [
            "Service 'catalog': Subsetting:Mode (LoadBalancing:Services:catalog:Subsetting:Mode) is 7; use one of Off, Deterministic, Aperture.",
            "Service 'catalog': Subsetting:ZoneMode (LoadBalancing:Services:catalog:Subsetting:ZoneMode) is 9; use one of Proportional, LocalZone.",
            "Service 'catalog': Subsetting:SubsetSize (LoadBalancing:Services:catalog:Subsetting:SubsetSize) is 0; it must be between 1 and 10000.",
            "Service 'catalog': Subsetting:MinAperture (LoadBalancing:Services:catalog:Subsetting:MinAperture) is 10001; it must be between 1 and 10000.",
            "Service 'catalog': Subsetting:ClientIndex (LoadBalancing:Services:catalog:Subsetting:ClientIndex) is 5; it must be between 0 and Subsetting:ClientCount − 1 (4).",
        ], problems);
    }

    [Fact]
    public void Validate_IndexWithoutCount_AndCountOutOfRange_AreReported()
    {
        Assert.Equal(
            ["Service 'a': Subsetting:ClientIndex (LoadBalancing:Services:a:Subsetting:ClientIndex) is set but Subsetting:ClientCount (LoadBalancing:Services:a:Subsetting:ClientCount) is not; set the number of clients too."],
            new SubsettingOptions { ClientIndex = 0 }.Validate("a", null));
        Assert.Equal(
            [
                "Service 'a': Subsetting:ClientCount (LoadBalancing:Services:a:Subsetting:ClientCount) is 0; it must be between 1 and 1000000.",
                "Service 'a': Subsetting:ClientCount (LoadBalancing:Services:a:Subsetting:ClientCount) is set but Subsetting:ClientIndex (LoadBalancing:Services:a:Subsetting:ClientIndex) is not; set this client's index too.",
            ],
            new SubsettingOptions { ClientCount = 0 }.Validate("a", null));
    }

    [Fact]
    public void Validate_LocalZoneModeWithoutLocalZone_IsReported()
    {
        var options = new SubsettingOptions { Mode = SubsettingMode.Aperture, ZoneMode = SubsetZoneMode.LocalZone }.Coordinate(0, 3);

        Assert.Equal(
            ["Service 'a': Subsetting:ZoneMode (LoadBalancing:Services:a:Subsetting:ZoneMode) is LocalZone but Zones:LocalZone (LoadBalancing:Services:a:Zones:LocalZone) is not set; set the caller's zone."],
            options.Validate("a", null));
        Assert.Empty(options.Validate("a", "eu-west-1a"));
    }

    [Fact]
    public void CreatePeerCoordinateSource_FromIndexAndCount_NeverChanges()
    {
        var source = new SubsettingOptions { Mode = SubsettingMode.Deterministic }.Coordinate(2, 9).CreatePeerCoordinateSource("catalog", null);

        Assert.Equal(new PeerCoordinate(2, 9), source.Current);
        Assert.Null(source.GetChangeToken());
        Assert.Equal("options:catalog", source.Name);
    }

    [Fact]
    public void CreatePeerCoordinateSource_CodeSource_WinsOverIndexAndCount()
    {
        var custom = new TestPeerCoordinateSource(new PeerCoordinate(1, 2));
        var options = new SubsettingOptions { ClientIndex = 0, ClientCount = 5 };

        Assert.Same(custom, options.CreatePeerCoordinateSource("catalog", custom));
    }

    [Fact]
    public void CreatePeerCoordinateSource_NothingSet_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new SubsettingOptions().CreatePeerCoordinateSource("catalog", null));

        Assert.Contains("Subsetting:ClientIndex and Subsetting:ClientCount", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, 3)]
    [InlineData(3, 3)]
    [InlineData(0, 0)]
    [InlineData(0, 1_000_001)]
    public void PeerCoordinate_OutOfRange_Throws(int index, int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerCoordinate(index, count));
    }

    [Fact]
    public void Bind_ConfigurationSection_SetsEveryOption()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:catalog:Subsetting:Mode"] = "Aperture",
            ["LoadBalancing:Services:catalog:Subsetting:SubsetSize"] = "50",
            ["LoadBalancing:Services:catalog:Subsetting:MinAperture"] = "16",
            ["LoadBalancing:Services:catalog:Subsetting:ClientIndex"] = "7",
            ["LoadBalancing:Services:catalog:Subsetting:ClientCount"] = "1000",
            ["LoadBalancing:Services:catalog:Subsetting:ZoneMode"] = "LocalZone",
        }).Build();
        var options = new SubsettingOptions();

        configuration.GetSection("LoadBalancing:Services:catalog:Subsetting").Bind(options);

        Assert.Equal(SubsettingMode.Aperture, options.Mode);
        Assert.Equal(50, options.SubsetSize);
        Assert.Equal(16, options.MinAperture);
        Assert.Equal(7, options.ClientIndex);
        Assert.Equal(1000, options.ClientCount);
        Assert.Equal(SubsetZoneMode.LocalZone, options.ZoneMode);
        Assert.Empty(options.Validate("catalog", "eu-west-1a"));
    }
}
