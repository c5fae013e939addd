namespace Loadstone.Tests.Health;

/// <summary>The status matcher of health checks and retries: codes and ranges from 100 to 599, both ends included.</summary>
public sealed class StatusCodeMatcherTests
{
    [Theory]
    [InlineData("100", 100, true)]
    [InlineData("100", 101, false)]
    [InlineData("599", 599, true)]
    [InlineData("100-599", 100, true)]
    [InlineData("100-599", 599, true)]
    [InlineData("200-299", 199, false)]
    [InlineData("200-299", 200, true)]
    [InlineData("200-299", 299, true)]
    [InlineData("200-299", 300, false)]
    [InlineData("200, 204-206", 205, true)]
    [InlineData("200, 204-206", 203, false)]
    public void Matches_CodesAndRanges_BothEndsIncluded(string text, int status, bool matches)
    {
        Assert.True(StatusCodeMatcher.TryParse(text, out var matcher, out var problem), problem);

        Assert.Equal(matches, matcher.Matches(status));
    }

    [Theory]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("99-200")]
    [InlineData("500-600")]
    [InlineData("300-200")]
    [InlineData("2xx")]
    [InlineData("200,")]
    [InlineData(" ")]
    public void TryParse_OutsideOneHundredToFiveNinetyNineOrMalformed_RejectedWithAProblem(string text)
    {
        Assert.False(StatusCodeMatcher.TryParse(text, out var matcher, out var problem));

        Assert.NotNull(problem);
        Assert.False(matcher.Matches(200));
    }

    [Fact]
    public void TryParse_EqualEnds_OneCode()
    {
        Assert.True(StatusCodeMatcher.TryParse("204-204", out var matcher, out _));

        Assert.Equal([false, true, false], new[] { 203, 204, 205 }.Select(matcher.Matches));
    }
}
