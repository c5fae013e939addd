namespace Loadstone.Tests.Affinity;

public sealed class StickyKeyExtractorTests
{
    private static readonly HttpRequestOptionsKey<string> s_tenant = new("tenant");

    private static ulong? KeyOf(StickySessionOptions options, HttpRequestMessage request) =>
        new StickyKeyExtractor(options).TryGetKeyHash(request, out var hash) ? hash : null;

    private static ulong H(string key) => StableHash.Hash(key);

    [Fact]
    public void TryGetKeyHash_Header_HashesTheFirstValue()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        request.Headers.Add("X-User-Id", ["alice", "bob"]);

        Assert.Equal(H("alice"), KeyOf(new StickySessionOptions().KeyFromHeader("x-user-id"), request));
    }

    [Fact]
    public void TryGetKeyHash_ContentHeader_IsFound()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://catalog/items") { Content = new StringContent("x") };
        request.Content.Headers.Add("X-Tenant", "t1");

        Assert.Equal(H("t1"), KeyOf(new StickySessionOptions().KeyFromHeader("X-Tenant"), request));
    }

    [Theory]
    [InlineData("session=abc", "abc")]
    [InlineData("a=1; session=abc; b=2", "abc")]
    [InlineData("a=1;session=\"abc\"", "abc")]
    [InlineData("sessionx=1; session=abc", "abc")]
    public void TryGetKeyHash_Cookie_FindsTheNamedCookie(string header, string expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/");
        request.Headers.Add("Cookie", header);

        Assert.Equal(H(expected), KeyOf(new StickySessionOptions().KeyFromCookie("session"), request));
    }

    [Theory]
    [InlineData("http://catalog/items?tenant=t1", "t1")]
    [InlineData("http://catalog/items?a=1&tenant=t%201&b=2", "t%201")]
    [InlineData("http://catalog/items?tenant=t1#frag", "t1")]
    [InlineData("http://catalog/?tenantx=1&tenant=t2", "t2")]
    public void TryGetKeyHash_QueryParameter_FindsTheNamedParameter(string uri, string expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);

        Assert.Equal(H(expected), KeyOf(new StickySessionOptions().KeyFromQueryParameter("tenant"), request));
    }

    [Fact]
    public void TryGetKeyHash_RequestOption_UsesThePerRequestValue()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/");
        request.Options.Set(s_tenant, "t9");

        Assert.Equal(H("t9"), KeyOf(new StickySessionOptions().KeyFromRequestOption(s_tenant), request));
    }

    [Fact]
    public void TryGetKeyHash_Selector_UsesTheFunction()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/orders/42");
        var options = new StickySessionOptions().KeyFrom(r => r.RequestUri!.Segments[^1]);

        Assert.Equal(H("42"), KeyOf(options, request));
    }

    [Theory]
    [InlineData(StickyKeySource.Header)]
    [InlineData(StickyKeySource.Cookie)]
    [InlineData(StickyKeySource.QueryParameter)]
    [InlineData(StickyKeySource.RequestOption)]
    [InlineData(StickyKeySource.Selector)]
    [InlineData(StickyKeySource.None)]
    public void TryGetKeyHash_RequestWithoutKey_HasNone(StickyKeySource source)
    {
        var options = new StickySessionOptions().KeyFrom(_ => null); // the selector finds no key either
        options.KeySource = source;
        options.KeyName = "k";
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items?other=1");
        request.Headers.Add("Cookie", "other=1");

        Assert.Null(KeyOf(options, request));
    }

    [Fact]
    public void TryGetKeyHash_EmptyValue_HasNone()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items?tenant=");

        Assert.Null(KeyOf(new StickySessionOptions().KeyFromQueryParameter("tenant"), request));
    }
}
