using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Configuration;

public sealed class ValidationTests
{
    private const string Known = "RoundRobin, Random, WeightedRoundRobin, LeastRequests, PowerOfTwoChoices, PeakEwma, FirstAvailable";

    [Fact]
    public void ServicePool_UnknownStrategy_ListsKnownNamesAndConfigKey()
    {
        var options = Valid();
        options.Strategy = "Fastest";

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(
            [$"Service 'catalog': Strategy 'Fastest' (LoadBalancing:Services:catalog:Strategy) is not a known strategy; use one of {Known}, or register it with AddLoadBalancingStrategy."],
            ex.Failures);
        Assert.Equal("catalog", ex.OptionsName);
        Assert.Equal(typeof(LoadBalancingOptions), ex.OptionsType);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void ServicePool_EmptyStrategy_ListsKnownNames(string strategy)
    {
        var options = Valid();
        options.Strategy = strategy;

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal([$"Service 'catalog': Strategy (LoadBalancing:Services:catalog:Strategy) is empty; use one of {Known}."], ex.Failures);
    }

    [Fact]
    public void Validate_RegisteredCustomStrategy_KnownAndListed()
    {
        var catalog = new StrategyCatalog([new StrategyRegistration("Sticky", _ => throw new NotSupportedException())]);
        var validator = new LoadBalancingOptionsValidator(catalog);
        var custom = Valid();
        custom.Strategy = "sticky";
        var unknown = Valid();
        unknown.Strategy = "Nope";

        Assert.True(validator.Validate("catalog", custom).Succeeded);
        var result = validator.Validate("catalog", unknown);
        Assert.True(result.Failed);
        Assert.Equal(
            [$"Service 'catalog': Strategy 'Nope' (LoadBalancing:Services:catalog:Strategy) is not a known strategy; use one of {Known}, Sticky, or register it with AddLoadBalancingStrategy."],
            result.Failures);
    }

    [Fact]
    public void ServicePool_StrategyFactoryGiven_StrategyNameNotChecked()
    {
        var options = Valid();
        options.Strategy = "Whatever";

        using var pool = new ServicePool("catalog", options, new ServicePoolDependencies { StrategyFactory = _ => new RoundRobinStrategy() });

        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.StrategyName);
    }

    [Theory]
    [InlineData(99, "00:00:00.0990000")]
    [InlineData(600_001, "00:10:00.0010000")]
    [InlineData(-1, "-00:00:00.0010000")]
    public void ServicePool_LatencyDecayTimeOutOfRange_NamesSettingAndRange(int milliseconds, string shown)
    {
        var options = Valid();
        options.LatencyDecayTime = TimeSpan.FromMilliseconds(milliseconds);

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(
            [$"Service 'catalog': LatencyDecayTime (LoadBalancing:Services:catalog:LatencyDecayTime) is {shown}; it must be between 00:00:00.1000000 and 00:10:00."],
            ex.Failures);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(600_000)]
    public void ServicePool_LatencyDecayTimeAtBounds_Accepted(int milliseconds)
    {
        var options = Valid();
        options.LatencyDecayTime = TimeSpan.FromMilliseconds(milliseconds);

        using var pool = new ServicePool("catalog", options);
    }

    [Theory]
    [InlineData(-1, "-00:00:00.0010000")]
    [InlineData(60_001, "00:01:00.0010000")]
    public void ServicePool_InitialLatencyOutOfRange_NamesSettingAndRange(int milliseconds, string shown)
    {
        var options = Valid();
        options.InitialLatency = TimeSpan.FromMilliseconds(milliseconds);

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(
            [$"Service 'catalog': InitialLatency (LoadBalancing:Services:catalog:InitialLatency) is {shown}; it must be between 00:00:00 and 00:01:00."],
            ex.Failures);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60_000)]
    public void ServicePool_InitialLatencyAtBounds_Accepted(int milliseconds)
    {
        var options = Valid();
        options.InitialLatency = TimeSpan.FromMilliseconds(milliseconds);

        using var pool = new ServicePool("catalog", options);
    }

    [Fact]
    public void ServicePool_NoEndpointsAndNoSources_SaysWhereToAddThem()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", new LoadBalancingOptions()));

        Assert.Equal(
            ["Service 'catalog' has no endpoints: add them in code (Endpoints.Add), in configuration (LoadBalancing:Services:catalog:Endpoints or Services:catalog), or add an endpoint source."],
            ex.Failures);
    }

    [Fact]
    public void ServicePool_NoEndpointsButASource_Accepted()
    {
        using var pool = new ServicePool("catalog", new LoadBalancingOptions(), new ServicePoolDependencies
        {
            EndpointSources = [new DynamicEndpointSource("registry")],
        });

        Assert.Empty(pool.Endpoints);
    }

    [Fact]
    public void ServicePool_SeveralProblems_AllReportedAtOnce()
    {
        var options = new LoadBalancingOptions
        {
            Strategy = "Fastest",
            LatencyDecayTime = TimeSpan.Zero,
            InitialLatency = TimeSpan.FromMinutes(2),
        };

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(
            [
                $"Service 'catalog': Strategy 'Fastest' (LoadBalancing:Services:catalog:Strategy) is not a known strategy; use one of {Known}, or register it with AddLoadBalancingStrategy.",
                "Service 'catalog': LatencyDecayTime (LoadBalancing:Services:catalog:LatencyDecayTime) is 00:00:00; it must be between 00:00:00.1000000 and 00:10:00.",
                "Service 'catalog': InitialLatency (LoadBalancing:Services:catalog:InitialLatency) is 00:02:00; it must be between 00:00:00 and 00:01:00.",
                "Service 'catalog' has no endpoints: add them in code (Endpoints.Add), in configuration (LoadBalancing:Services:catalog:Endpoints or Services:catalog), or add an endpoint source.",
            ],
            ex.Failures);
        Assert.Equal(string.Join("; ", ex.Failures), ex.Message);
    }

    [Fact]
    public void ServicePool_BadStrategyAndDuplicateEndpoint_BothReported()
    {
        var options = Valid();
        options.Strategy = "Fastest";
        options.Endpoints.Add("http://10.0.0.1:8080/");

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(2, ex.Failures.Count());
        Assert.Equal("Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once.", ex.Failures.Last());
    }

    [Fact]
    public void Validate_ValidOptions_Succeeds()
    {
        var result = new LoadBalancingOptionsValidator(StrategyCatalog.BuiltInOnly).Validate("catalog", Valid());

        Assert.True(result.Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void ServicePool_EmptyServiceName_Throws(string name) =>
        Assert.ThrowsAny<ArgumentException>(() => new ServicePool(name, Valid()));

    private static LoadBalancingOptions Valid()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://10.0.0.1:8080");
        options.Endpoints.Add("http://10.0.0.2:8080");
        return options;
    }
}
