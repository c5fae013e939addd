using Microsoft.Extensions.Configuration;

namespace Loadstone.Tests.Affinity;

public sealed class StickySessionOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new StickySessionOptions();

        Assert.Equal(StickyKeySource.None, options.KeySource);
        Assert.False(options.IsEnabled);
        Assert.Equal(TimeSpan.FromDays(1), options.Duration);
        Assert.Equal(StickyFailurePolicy.Redistribute, options.FailurePolicy);
        Assert.Equal(100_000, options.MaxBindings);
        Assert.Equal(1.25, options.BoundedLoadFactor);
        Assert.Empty(options.Validate("catalog"));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(8 * 24 * 3600.0)]
    public void Validate_DurationOutOfRange_NamesTheSetting(double seconds)
    {
        var options = new StickySessionOptions { Duration = TimeSpan.FromSeconds(seconds) };

        var problem = Assert.Single(options.Validate("catalog"));

        Assert.StartsWith("Service 'catalog': StickySessions.Duration (LoadBalancing:Services:catalog:StickySessions:Duration) is ", problem, StringComparison.Ordinal);
        Assert.EndsWith("; it must be between 00:00:01 and 7.00:00:00.", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryProblem()
    {
        var options = new StickySessionOptions
        {
            KeySource = StickyKeySource.Header,
            MaxBindings = 10,
            BoundedLoadFactor = 0.5,
            FailurePolicy = (StickyFailurePolicy)7,
        };

        var problems = options.Validate("catalog");

        Assert.Equal(
        [
            "Service 'catalog': StickySessions.KeyName (LoadBalancing:Services:catalog:StickySessions:KeyName) is empty; name the header that holds the sticky key.",
            "Service 'catalog': StickySessions.FailurePolicy (LoadBalancing:Services:catalog:StickySessions:FailurePolicy) is 7; use Redistribute or Fail.",
            "Service 'catalog': StickySessions.MaxBindings (LoadBalancing:Services:catalog:StickySessions:MaxBindings) is 10; it must be between 100 and 10000000.",
            "Service 'catalog': StickySessions.BoundedLoadFactor (LoadBalancing:Services:catalog:StickySessions:BoundedLoadFactor) is 0.5; it must be between 1 and 10, or 0 to turn bounded loads off.",
        ], problems);
    }

    [Fact]
    public void Validate_SelectorWithoutFunction_IsAProblem()
    {
        var options = new StickySessionOptions { KeySource = StickyKeySource.Selector };

        Assert.Contains("is Selector, which needs a key function, and none is set", Assert.Single(options.Validate("catalog")), StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_DocumentedConfigurationShape_SetsEveryOption()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StickySessions:KeySource"] = "Cookie",
            ["StickySessions:KeyName"] = "session",
            ["StickySessions:Duration"] = "08:00:00",
            ["StickySessions:FailurePolicy"] = "Fail",
            ["StickySessions:MaxBindings"] = "5000",
            ["StickySessions:BoundedLoadFactor"] = "1.5",
        }).Build();
        var options = new StickySessionOptions();

        configuration.GetSection("StickySessions").Bind(options, o => o.ErrorOnUnknownConfiguration = true);

        Assert.Equal(StickyKeySource.Cookie, options.KeySource);
        Assert.Equal("session", options.KeyName);
        Assert.Equal(TimeSpan.FromHours(8), options.Duration);
        Assert.Equal(StickyFailurePolicy.Fail, options.FailurePolicy);
        Assert.Equal(5000, options.MaxBindings);
        Assert.Equal(1.5, options.BoundedLoadFactor);
        Assert.Empty(options.Validate("catalog"));
    }

    [Fact]
    public void KeyFromHeader_Blank_ReportedByValidationWithServiceAndKey()
    {
        var options = new StickySessionOptions().KeyFromHeader(" ");

        Assert.Equal(
            ["Service 'catalog': StickySessions.KeyName (LoadBalancing:Services:catalog:StickySessions:KeyName) is empty; name the header that holds the sticky key."],
            options.Validate("catalog"));
    }
}
