using Microsoft.Extensions.Configuration;

namespace Loadstone.Tests.Zones;

public sealed class ZoneOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new ZoneOptions();

        Assert.Null(options.LocalZone);
        Assert.Equal(ZoneRoutingMode.CrossZone, options.Mode);
        Assert.Equal(1.0, options.LocalShare);
        Assert.Equal(6, options.MinimumPoolSize);
        Assert.Empty(options.CallerShares);
        Assert.Empty(options.Validate("catalog"));
    }

    [Fact]
    public void Bind_DocumentedConfigurationShape_SetsEveryOption()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Zones:LocalZone"] = "eu-west-1a",
            ["Zones:Mode"] = "ZoneAware",
            ["Zones:LocalShare"] = "0.85",
            ["Zones:MinimumPoolSize"] = "3",
            ["Zones:CallerShares:eu-west-1a"] = "5",
            ["Zones:CallerShares:eu-west-1b"] = "3",
        }).Build();
        var options = new ZoneOptions();

        configuration.GetSection("Zones").Bind(options, o => o.ErrorOnUnknownConfiguration = true);

        Assert.Equal("eu-west-1a", options.LocalZone);
        Assert.Equal(ZoneRoutingMode.ZoneAware, options.Mode);
        Assert.Equal(0.85, options.LocalShare);
        Assert.Equal(3, options.MinimumPoolSize);
        Assert.Equal(5, options.CallerShares["EU-WEST-1A"]);
        Assert.Equal(3, options.CallerShares["eu-west-1b"]);
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryProblem()
    {
        var options = new ZoneOptions { Mode = (ZoneRoutingMode)9, LocalShare = 1.5, MinimumPoolSize = -1 };
        options.CallerShares["a"] = -2;

        Assert.Equal(
        [
            "Service 'catalog': Zones.Mode (LoadBalancing:Services:catalog:Zones:Mode) is 9; use one of CrossZone, PerZone, Affinity, ZoneAware.",
            "Service 'catalog': Zones.LocalShare (LoadBalancing:Services:catalog:Zones:LocalShare) is 1.5; it must be between 0 and 1 (1 for full affinity, 0.85 for partial).",
            "Service 'catalog': Zones.CallerShares (LoadBalancing:Services:catalog:Zones:CallerShares:a) is -2; it must be a finite number of at least 0.",
            "Service 'catalog': Zones.MinimumPoolSize (LoadBalancing:Services:catalog:Zones:MinimumPoolSize) is -1; it must be between 0 and 10000.",
        ], options.Validate("catalog"));
    }
}
