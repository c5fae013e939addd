namespace Loadstone.Tests.Http;

/// <summary>Request authority → service and endpoint filter, in the forms Microsoft.Extensions.ServiceDiscovery understands.</summary>
public sealed class RouteCacheTests
{
    private static ServicePoolRegistry Registry()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://10.0.0.1:8080");
        return new ServicePoolRegistry(new ServicePool("catalog", options));
    }

    [Theory]
    [InlineData("http://catalog/items?page=2", null, null, "/items?page=2")]
    [InlineData("http://CATALOG/items", null, null, "/items")]
    [InlineData("https+http://catalog/items", null, "https,http", "/items")]
    [InlineData("http://_dashboard.catalog/x", "dashboard", null, "/x")]
    [InlineData("http://_https.catalog/x", null, "https", "/x")]
    [InlineData("https://_default.catalog/x", null, null, "/x")]
    [InlineData("http://catalog", null, null, "")]
    public void Resolve_ServiceForms_ServiceFilterAndWhereThePathStarts(string uri, string? endpointName, string? schemes, string rest)
    {
        using var registry = Registry();
        var cache = new RouteCache(registry);

        var route = cache.Resolve(new Uri(uri), out var pathStart);

        Assert.Equal("catalog", route.Service?.Pool.ServiceName);
        Assert.Equal(endpointName, route.Filter?.EndpointName);
        Assert.Equal(schemes, route.Filter is { SchemePreference: var preference } && preference[0] is not null ? string.Join(",", preference) : null);
        Assert.Equal(rest, new Uri(uri).OriginalString[pathStart..]);
    }

    [Theory]
    [InlineData("http://elsewhere.example/items")]
    [InlineData("http://user@catalog/items")]
    [InlineData("http://10.0.0.1:8080/items")]
    public void Resolve_NotAService_PassesThrough(string uri)
    {
        using var registry = Registry();

        Assert.Null(new RouteCache(registry).Resolve(new Uri(uri), out _).Service);
    }

    [Fact]
    public void Resolve_SameAuthorityTwice_TheSameRouteAndFilter()
    {
        using var registry = Registry();
        var cache = new RouteCache(registry);

        var first = cache.Resolve(new Uri("https+http://catalog/a"), out _);
        var second = cache.Resolve(new Uri("https+http://catalog/b?c"), out _);

        // Filters are compared by reference by the pool's prepared pipelines: one per authority.
        Assert.Same(first, second);
        Assert.Same(first.Filter, second.Filter);
    }
}
