namespace Loadstone;

/// <summary>
/// The zone stage of a pick: for one candidate set, the <see cref="ZonePlan"/> (each zone's share) and one candidate set
/// per zone prepared for the strategy, built on the control plane. A pick draws a zone by its share, lets the strategy
/// choose within it, and maps the choice back to the whole set. Every candidate is routable, so a zone whose endpoints
/// are all unhealthy has none and its traffic spills at once.
/// </summary>
internal sealed class ZoneStage
{
    private readonly ZonePlan _plan;
    private readonly CandidateSet[] _sets;
    private readonly int[][] _indices;

    private ZoneStage(ZonePlan plan, CandidateSet[] sets, int[][] indices)
    {
        _plan = plan;
        _sets = sets;
        _indices = indices;
    }

    /// <summary>The zone stage of a set, or <see langword="null"/> when the plan is plain cross-zone (no zone draw needed).</summary>
    public static ZoneStage? Build(CandidateSet candidates, ZoneOptions options, ILoadBalancingStrategy strategy)
    {
        var endpoints = candidates.Endpoints;
        var weights = candidates.Weights;
        var members = new ZoneMember[endpoints.Length];
        for (var i = 0; i < members.Length; i++)
        {
            members[i] = new ZoneMember(endpoints[i].Endpoint.Zone, true, weights[i]);
        }

        var plan = ZonePlan.Create(options, members);
        if (!plan.UsesZones)
        {
            return null;
        }

        var sets = new CandidateSet[plan.Zones.Length];
        for (var z = 0; z < sets.Length; z++)
        {
            var indices = plan.Members[z];
            var zoneEndpoints = new EndpointState[indices.Length];
            var zoneWeights = new double[indices.Length];
            for (var k = 0; k < indices.Length; k++)
            {
                zoneEndpoints[k] = endpoints[indices[k]];
                zoneWeights[k] = weights[indices[k]];
            }

            var set = new CandidateSet(zoneEndpoints, zoneWeights);
            if (set.Count > 0)
            {
                set.Prepare(strategy);
            }

            sets[z] = set;
        }

        return new ZoneStage(plan, sets, plan.Members);
    }

    /// <summary>Request path: draws a zone by its share.</summary>
    /// <param name="random">The source of the draw.</param>
    /// <param name="indices">Maps an index in the zone's set to its index in the whole set.</param>
    /// <param name="isLocal">Whether the zone is the caller's own.</param>
    /// <returns>The zone's candidates, prepared for the strategy; empty when the zone has none.</returns>
    public CandidateSet DrawZone(Random random, out int[] indices, out bool isLocal)
    {
        var zone = _plan.PickZone(random);
        isLocal = zone == _plan.LocalZoneIndex;
        indices = _indices[zone];
        return _sets[zone];
    }
}
