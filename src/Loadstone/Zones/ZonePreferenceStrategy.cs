namespace Loadstone;

/// <summary>
/// Zone preference around any strategy: <see cref="Prepare"/> plans the zone shares of a candidate set and gives the
/// inner strategy one candidate set per zone; <see cref="Pick"/> draws a zone by its share, lets the inner strategy
/// choose within it, and maps the choice back. Every candidate counts as healthy (the pool puts only routable
/// endpoints in a candidate set), so a zone whose endpoints are all unhealthy has no candidates and spills at once.
/// </summary>
internal sealed class ZonePreferenceStrategy : ILoadBalancingStrategy, IWrappingStrategy
{
    private readonly ILoadBalancingStrategy _inner;
    private readonly ZoneOptions _options;
    private readonly Random _random;
    private readonly string? _serviceName;

    /// <param name="inner">The strategy that chooses within a zone.</param>
    /// <param name="options">The zone options.</param>
    /// <param name="random">The random source for zone draws.</param>
    /// <param name="serviceName">The service, for the <c>loadstone.zone.picks</c> metric; <see langword="null"/> records nothing.</param>
    public ZonePreferenceStrategy(ILoadBalancingStrategy inner, ZoneOptions options, Random random, string? serviceName = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        _inner = inner;
        _options = options;
        _random = random;
        _serviceName = serviceName;
    }

    public string Name => _inner.Name;

    public ILoadBalancingStrategy Innermost => _inner is IWrappingStrategy wrapped ? wrapped.Innermost : _inner;

    public object? Prepare(CandidateSet candidates)
    {
        var endpoints = candidates.Endpoints.ToArray();
        var weights = candidates.Weights.ToArray();
        var members = new ZoneMember[endpoints.Length];
        for (var i = 0; i < members.Length; i++)
        {
            members[i] = new ZoneMember(endpoints[i].Endpoint.Zone, true, weights[i]);
        }

        var plan = ZonePlan.Create(_options, members);
        if (!plan.UsesZones)
        {
            return new State(null, [Subset(endpoints, weights, null)], []);
        }

        var sets = new CandidateSet[plan.Zones.Length];
        var indices = new int[plan.Zones.Length][];
        for (var z = 0; z < sets.Length; z++)
        {
            indices[z] = plan.Members[z];
            sets[z] = Subset(endpoints, weights, indices[z]);
        }

        return new State(plan, sets, indices);
    }

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var state = (State)candidates.StrategyState!;
        if (state.Plan is null)
        {
            var index = _inner.Pick(state.Sets[0], request);
            if (_serviceName is not null && _options.LocalZone is { } localZone && LoadstoneMetrics.ZonePicks.Enabled
                && (uint)index < (uint)candidates.Count)
            {
                LoadstoneMetrics.RecordZonePick(_serviceName,
                    string.Equals(candidates.Endpoints[index].Endpoint.Zone, localZone, StringComparison.OrdinalIgnoreCase));
            }

            return index;
        }

        var zone = state.Plan.PickZone(_random);
        var set = state.Sets[zone];
        if (_serviceName is not null && _options.LocalZone is not null)
        {
            LoadstoneMetrics.RecordZonePick(_serviceName, zone == state.Plan.LocalZoneIndex);
        }

        return set.Count == 0 ? 0 : state.Indices[zone][_inner.Pick(set, request)];
    }

    private CandidateSet Subset(EndpointState[] endpoints, double[] weights, int[]? indices)
    {
        var set = indices is null
            ? new CandidateSet(endpoints, weights)
            : new CandidateSet(indices.Select(i => endpoints[i]).ToArray(), indices.Select(i => weights[i]).ToArray());
        if (set.Count > 0)
        {
            set.StrategyState = _inner.Prepare(set);
        }

        return set;
    }

    private sealed record State(ZonePlan? Plan, CandidateSet[] Sets, int[][] Indices);
}
