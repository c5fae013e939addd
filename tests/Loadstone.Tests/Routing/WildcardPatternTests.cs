namespace Loadstone.Tests.Routing;

public sealed class WildcardPatternTests
{
    [Theory]
    [InlineData("/api/items", "/api/items", false, true)]
    [InlineData("/api/items", "/api/Items", false, false)]
    [InlineData("/api/items", "/api/Items", true, true)]
    [InlineData("/api/*", "/api/", false, true)]
    [InlineData("/api/*", "/api/v1/items", false, true)]
    [InlineData("/api/*", "/api", false, false)]
    [InlineData("*.json", "/a/b.json", false, true)]
    [InlineData("*.json", "/a/b.JSON", false, false)]
    [InlineData("*.json", "/a/b.JSON", true, true)]
    [InlineData("*admin*", "/x/admin/y", false, true)]
    [InlineData("*admin*", "/x/ADMIN/y", true, true)]
    [InlineData("*", "", false, true)]
    [InlineData("*", "anything", false, true)]
    [InlineData("", "", false, true)]
    [InlineData("", "x", false, false)]
    [InlineData("/v?/items", "/v1/items", false, true)]
    [InlineData("/v?/items", "/v10/items", false, false)]
    [InlineData("/v?/items", "/v/items", false, false)]
    [InlineData("/a*/b?/c", "/aXYZ/b1/c", false, true)]
    [InlineData("/a*/b?/c", "/a/b/c", false, false)]
    [InlineData("a*b*c", "aXbYbZc", false, true)]
    [InlineData("a*b*c", "aXbYbZ", false, false)]
    [InlineData("*a?c*", "zzabczz", false, true)]
    [InlineData("api?.example.com", "API1.EXAMPLE.COM", true, true)]
    [InlineData("**", "", false, true)]
    [InlineData("a**b", "ab", false, true)]
    [InlineData("?", "", false, false)]
    public void IsMatch_Table(string pattern, string text, bool ignoreCase, bool expected)
    {
        Assert.Equal(expected, new WildcardPattern(pattern, ignoreCase).IsMatch(text));
    }

    [Fact]
    public void IsMatch_ManyStarsOnLongMiss_StaysFast()
    {
        var pattern = new WildcardPattern("*a*a*a*a*a*a*a*b", ignoreCase: false);
        var text = new string('a', 5000);

        Assert.False(pattern.IsMatch(text));
    }
}
