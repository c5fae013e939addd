using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// An immutable picture of a pool for the request path: every endpoint and the routable candidates. Built by the
/// control plane on each change and published with one reference swap.
/// </summary>
internal sealed class PoolSnapshot
{
    private readonly ILoadBalancingStrategy _strategy;

    // Candidate sets for requests that ask for a subset (a named endpoint, a scheme preference), built on first use.
    private readonly ConcurrentDictionary<EndpointFilter, CandidateSet> _filtered = new();

    public PoolSnapshot(EndpointState[] all, ILoadBalancingStrategy strategy)
    {
        All = all;
        _strategy = strategy;
        Candidates = BuildCandidates(all, static s => s.Endpoint.Name is null);
    }

    public EndpointState[] All { get; }

    /// <summary>The routable candidates; empty when none.</summary>
    public CandidateSet Candidates { get; }

    public ILoadBalancingStrategy Strategy => _strategy;

    public CandidateSet GetCandidates(EndpointFilter? filter) =>
        filter is null ? Candidates : _filtered.GetOrAdd(filter, static (f, s) => s.BuildFiltered(f), this);

    /// <summary>Why nothing could be picked from <paramref name="filter"/>'s candidates.</summary>
    public NoAvailableEndpointReason ExplainEmpty(EndpointFilter? filter)
    {
        if (All.Length == 0)
        {
            return NoAvailableEndpointReason.NoEndpoints;
        }

        var matching = All.Where(s => (filter ?? EndpointFilter.Unnamed).Matches(s.Endpoint)).ToArray();
        if (matching.Length == 0)
        {
            return NoAvailableEndpointReason.NoMatchingEndpoint;
        }

        return NoAvailableEndpointReason.AllWeightsZero;
    }

    private CandidateSet BuildFiltered(EndpointFilter filter)
    {
        foreach (var scheme in filter.SchemePreference)
        {
            var set = BuildCandidates(All, s => filter.Matches(s.Endpoint, scheme));
            if (set.Count > 0)
            {
                return set;
            }
        }

        return CandidateSet.Empty;
    }

    private CandidateSet BuildCandidates(EndpointState[] all, Func<EndpointState, bool> include)
    {
        var endpoints = new List<EndpointState>(all.Length);
        var weights = new List<double>(all.Length);
        foreach (var state in all)
        {
            if (state.Endpoint.Weight > 0 && include(state))
            {
                endpoints.Add(state);
                weights.Add(state.Endpoint.Weight);
            }
        }

        if (endpoints.Count == 0)
        {
            return CandidateSet.Empty;
        }

        var set = new CandidateSet([.. endpoints], [.. weights]);
        set.StrategyState = _strategy.Prepare(set);
        return set;
    }
}

/// <summary>
/// A request's restriction of the candidates, from Microsoft.Extensions.ServiceDiscovery's URI conventions:
/// <c>https+http://catalog</c> (prefer https endpoints, else http) and <c>http://_dashboard.catalog</c> (the
/// endpoints named <c>dashboard</c>). Without a name only unnamed endpoints match. Compared by reference: the handler caches one per distinct request authority.
/// </summary>
internal sealed class EndpointFilter(string? endpointName, string[] schemePreference)
{
    private static readonly string?[] s_anyScheme = [null];

    /// <summary>What a plain request (<c>http://catalog</c>) gets: the unnamed endpoints, whatever their scheme.</summary>
    public static EndpointFilter Unnamed { get; } = new(null, []);

    public string? EndpointName { get; } = endpointName;

    /// <summary>Schemes in order of preference; a single null entry means any scheme.</summary>
    public string?[] SchemePreference { get; } = schemePreference.Length == 0 ? s_anyScheme : schemePreference;

    public bool Matches(Endpoint endpoint) => SchemePreference.Any(s => Matches(endpoint, s));

    public bool Matches(Endpoint endpoint, string? scheme) =>
        string.Equals(endpoint.Name, EndpointName, StringComparison.OrdinalIgnoreCase)
        && (scheme is null || string.Equals(endpoint.Address.Scheme, scheme, StringComparison.OrdinalIgnoreCase));
}
