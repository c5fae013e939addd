using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// An immutable picture of a pool for the request path: every endpoint, and the pick pipeline of the routable
/// candidates. Built by the control plane on each change and published with one reference swap.
/// </summary>
internal sealed class PoolSnapshot
{
    // Pipelines for requests that ask for a subset (a named endpoint, a scheme preference): those seen before are
    // prebuilt with the snapshot; a filter seen for the first time is built on first use.
    private readonly ConcurrentDictionary<EndpointFilter, PickPipeline> _filtered = new();
    private readonly PickStages _stages;

    /// <param name="all">Members in source order, then draining endpoints.</param>
    /// <param name="memberCount">How many of <paramref name="all"/> are members (not draining).</param>
    /// <param name="healthyCount">How many members are routable by health.</param>
    /// <param name="stages">What pipelines are made of.</param>
    /// <param name="failOpen">Route to every member whatever its health.</param>
    /// <param name="knownFilters">Filters to prepare pipelines for now, rather than on a request.</param>
    /// <param name="inSubset">This client's subset by member index (subsetting), or null for every member.</param>
    public PoolSnapshot(EndpointState[] all, int memberCount, int healthyCount, PickStages stages, bool failOpen,
        IEnumerable<EndpointFilter>? knownFilters = null, bool[]? inSubset = null)
    {
        All = all;
        MemberCount = memberCount;
        HealthyCount = healthyCount;
        _stages = stages;
        FailOpen = failOpen;
        Pipeline = PickPipeline.Build(stages, inSubset is null
            ? BuildCandidates<object?>(static (s, _, _) => s.Endpoint.Name is null, null)
            : BuildCandidates(static (s, i, subset) => s.Endpoint.Name is null && subset[i], inSubset));
        foreach (var filter in knownFilters ?? [])
        {
            _filtered.TryAdd(filter, BuildFiltered(filter));
        }
    }

    public EndpointState[] All { get; }

    public int MemberCount { get; }

    public int HealthyCount { get; }

    public bool FailOpen { get; }

    /// <summary>The zones failing open on their own (per-zone routing), in member order; empty when none.</summary>
    public IReadOnlyList<string?> FailingOpenZones { get; init; } = [];

    /// <summary>The pipeline of the routable unnamed candidates; its set is empty when there are none.</summary>
    public PickPipeline Pipeline { get; }

    /// <summary>The routable unnamed candidates (the pipeline's set).</summary>
    public CandidateSet Candidates => Pipeline.Candidates;

    public ILoadBalancingStrategy Strategy => _stages.Strategy;

    public string StrategyName => _stages.Strategy.Name;

    public PickPipeline GetPipeline(EndpointFilter? filter) =>
        filter is null ? Pipeline : _filtered.GetOrAdd(filter, static (f, s) => s.BuildFiltered(f), this);
    /// <summary>Why nothing could be picked from <paramref name="filter"/>'s candidates.</summary>
    public NoAvailableEndpointReason ExplainEmpty(EndpointFilter? filter)
    {
        if (MemberCount == 0)
        {
            return All.Length == 0 ? NoAvailableEndpointReason.NoEndpoints : NoAvailableEndpointReason.AllDraining;
        }

        var matching = All.Take(MemberCount).Where(s => (filter ?? EndpointFilter.Unnamed).Matches(s.Endpoint)).ToArray();
        if (matching.Length == 0)
        {
            return NoAvailableEndpointReason.NoMatchingEndpoint;
        }

        return matching.All(s => s.Endpoint.Weight == 0)
            ? NoAvailableEndpointReason.AllWeightsZero
            : NoAvailableEndpointReason.AllUnhealthy;
    }

    private PickPipeline BuildFiltered(EndpointFilter filter)
    {
        foreach (var scheme in filter.SchemePreference)
        {
            var set = BuildCandidates(static (s, _, arg) => arg.Filter.Matches(s.Endpoint, arg.Scheme), (Filter: filter, Scheme: scheme));
            if (set.Count > 0)
            {
                return PickPipeline.Build(_stages, set);
            }
        }

        return PickPipeline.Build(_stages, CandidateSet.Empty);
    }

    private CandidateSet BuildCandidates<TArg>(Func<EndpointState, int, TArg, bool> include, TArg arg)
    {
        var endpoints = new List<EndpointState>(MemberCount);
        var weights = new List<double>(MemberCount);
        for (var i = 0; i < MemberCount; i++)
        {
            var state = All[i];
            if (state.Endpoint.Weight > 0 && (FailOpen || state.IsRoutable || state.InFailingOpenZone) && include(state, i, arg))
            {
                endpoints.Add(state);
                weights.Add(state.Endpoint.Weight * state.WeightFactor);
            }
        }

        if (endpoints.Count == 0)
        {
            return CandidateSet.Empty;
        }

        return new CandidateSet([.. endpoints], [.. weights]);
    }
}

/// <summary>
/// A request's restriction of the candidates, from Microsoft.Extensions.ServiceDiscovery's URI conventions:
/// <c>https+http://catalog</c> (prefer https endpoints, else http) and <c>http://_dashboard.catalog</c> (the
/// endpoints named <c>dashboard</c>). Without a name only unnamed endpoints match.
/// Compared by reference: the handler caches one per distinct request authority.
/// </summary>
internal sealed class EndpointFilter(string? endpointName, string[] schemePreference)
{
    private static readonly string?[] s_anyScheme = [null];

    /// <summary>What a plain request (<c>http://catalog</c>) gets: the unnamed endpoints, whatever their scheme.</summary>
    public static EndpointFilter Unnamed { get; } = new(null, []);

    public string? EndpointName { get; } = endpointName;

    /// <summary>Schemes in order of preference; a single null entry means any scheme.</summary>
    public string?[] SchemePreference { get; } = schemePreference.Length == 0 ? s_anyScheme : schemePreference;

    public bool Matches(LoadBalancedEndpoint endpoint) => SchemePreference.Any(s => Matches(endpoint, s));

    public bool Matches(LoadBalancedEndpoint endpoint, string? scheme) =>
        string.Equals(endpoint.Name, EndpointName, StringComparison.OrdinalIgnoreCase)
        && (scheme is null || string.Equals(endpoint.Address.Scheme, scheme, StringComparison.OrdinalIgnoreCase));
}
