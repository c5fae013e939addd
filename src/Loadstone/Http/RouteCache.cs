using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// Maps a request URI's <c>scheme://host</c> to the service it names (and the endpoint filter its form asks for),
/// cached per distinct authority so the request path looks it up without allocating. Understands
/// Microsoft.Extensions.ServiceDiscovery's <c>https+http://catalog</c> and <c>https://_dashboard.catalog</c> forms.
/// </summary>
internal sealed class RouteCache
{
    private const int MaxCachedPassThroughRoutes = 1024;
    private static readonly Route s_passThrough = new(null, null, null, null);

    private readonly ServicePoolRegistry _registry;
    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Route>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _passThroughCount;
    private int _version;

    public RouteCache(ServicePoolRegistry registry)
    {
        _registry = registry;
        _lookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// The route of a request URI; a pass-through route (no service) for anything that names no service.
    /// <paramref name="pathStart"/> is where the path (or query) begins in <see cref="Uri.OriginalString"/>.
    /// </summary>
    public Route Resolve(Uri? uri, out int pathStart)
    {
        pathStart = 0;
        if (uri is null || !uri.IsAbsoluteUri || !AuthorityParser.TrySplit(uri.OriginalString, out var keyLength, out pathStart))
        {
            return s_passThrough;
        }

        // Services added by a configuration reload must be routed at once, not after handler rotation.
        if (_version != _registry.Version)
        {
            _version = _registry.Version;
            _routes.Clear();
            Volatile.Write(ref _passThroughCount, 0);
        }

        var key = uri.OriginalString.AsSpan(0, keyLength);
        return _lookup.TryGetValue(key, out var route) ? route : Add(key.ToString());
    }

    private Route Add(string key)
    {
        var route = Create(key);
        if (route.Service is null && Interlocked.Increment(ref _passThroughCount) > MaxCachedPassThroughRoutes)
        {
            return route;
        }

        return _routes.GetOrAdd(key, route);
    }

    private Route Create(string key)
    {
        var separator = key.IndexOf("://", StringComparison.Ordinal);
        var scheme = key[..separator];
        var host = key[(separator + 3)..];
        string? endpointName = null;
        var serviceName = host;
        if (host.StartsWith('_') && host.IndexOf('.', StringComparison.Ordinal) is > 1 and var dot)
        {
            endpointName = host[1..dot];
            serviceName = host[(dot + 1)..];
        }

        if (!_registry.TryGetService(serviceName, out var service))
        {
            return s_passThrough;
        }

        var schemes = scheme.Contains('+', StringComparison.Ordinal)
            ? scheme.Split('+', StringSplitOptions.RemoveEmptyEntries)
            : [];
        if (endpointName is not null && ServiceDiscoveryConfiguration.IsUnnamed(endpointName))
        {
            // Service discovery reads Services:catalog:https for _https.catalog; those endpoints are the unnamed ones.
            schemes = endpointName.Equals(ServiceDiscoveryConfiguration.DefaultEndpointName, StringComparison.OrdinalIgnoreCase) ? schemes : [endpointName.ToLowerInvariant()];
            endpointName = null;
        }

        var filter = endpointName is null && schemes.Length == 0 ? null : new EndpointFilter(endpointName, schemes);
        // With MatchRequestScheme, a plain http:// or https:// request uses endpoints of its own scheme only, as
        // Microsoft.Extensions.ServiceDiscovery resolves it; prepared here, chosen per request (the option reloads).
        var sameScheme = schemes.Length == 0 ? new EndpointFilter(endpointName, [scheme.ToLowerInvariant()]) : null;
        return new Route(service, filter, sameScheme, serviceName);
    }

    /// <summary>A request authority's service, the endpoints it may use, and the service name it was written with.</summary>
    internal sealed class Route(ServiceEntry? service, EndpointFilter? filter, EndpointFilter? sameSchemeFilter, string? serviceName)
    {
        public ServiceEntry? Service { get; } = service;

        /// <summary>The endpoints the request may use: its name and scheme preference, and its scheme under MatchRequestScheme.</summary>
        public EndpointFilter? Filter =>
            sameSchemeFilter is not null && Service!.Pool.Options.MatchRequestScheme ? sameSchemeFilter : filter;

        public string? ServiceName { get; } = serviceName;
    }
}
