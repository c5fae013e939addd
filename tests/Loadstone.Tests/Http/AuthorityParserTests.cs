namespace Loadstone.Tests.Http;

public sealed class AuthorityParserTests
{
    [Theory]
    [InlineData("http://catalog", "http://catalog", "")]
    [InlineData("http://catalog/", "http://catalog", "/")]
    [InlineData("http://catalog/items/42", "http://catalog", "/items/42")]
    [InlineData("http://catalog?q=1", "http://catalog", "?q=1")]
    [InlineData("http://catalog/items?q=1&r=2", "http://catalog", "/items?q=1&r=2")]
    [InlineData("http://catalog#top", "http://catalog", "#top")]
    [InlineData("https://catalog:8443/items", "https://catalog", "/items")]
    [InlineData("http://catalog:80", "http://catalog", "")]
    [InlineData("http://catalog:80?q=1", "http://catalog", "?q=1")]
    [InlineData("https+http://catalog/items", "https+http://catalog", "/items")]
    [InlineData("https://_dashboard.basket/x", "https://_dashboard.basket", "/x")]
    [InlineData("http://10.0.0.5:8080/items", "http://10.0.0.5", "/items")]
    [InlineData("http://Catalog.Internal/a", "http://Catalog.Internal", "/a")]
    public void TrySplit_AbsoluteUri_SplitsKeyAndPath(string uri, string key, string rest)
    {
        Assert.True(AuthorityParser.TrySplit(uri, out var keyLength, out var pathStart));

        Assert.Equal(key, uri[..keyLength]);
        Assert.Equal(rest, uri[pathStart..]);
    }

    [Theory]
    [InlineData("http://user@catalog/items")]
    [InlineData("http://user:secret@catalog/items")]
    [InlineData("http://catalog:secret@evil.example/items")]
    [InlineData("http://[::1]:8080/items")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http:///items")]
    [InlineData("http://:8080/items")]
    [InlineData("catalog/items")]
    [InlineData("://catalog")]
    [InlineData("")]
    [InlineData("http://cat alog/")]
    public void TrySplit_NotALogicalServiceUri_Fails(string uri)
    {
        Assert.False(AuthorityParser.TrySplit(uri, out _, out _));
    }

    [Fact]
    public void TrySplit_UriOriginalString_SameAsForTheString()
    {
        var uri = new Uri("http://catalog:8080/items?x=1");

        Assert.True(AuthorityParser.TrySplit(uri.OriginalString, out var keyLength, out var pathStart));

        Assert.Equal("http://catalog", uri.OriginalString[..keyLength]);
        Assert.Equal("/items?x=1", uri.OriginalString[pathStart..]);
    }
}
