using System.Diagnostics;

namespace Loadstone;

/// <summary>
/// How one candidate set is picked from, prepared once per set on the control plane: the sticky binding of the
/// request's key (Maglev with bounded loads), else a zone drawn by the zone plan, else the whole set; then the
/// strategy chooses. The request path only reads it.
/// </summary>
internal sealed class PickPipeline
{
    private readonly PickStages _stages;
    private readonly StickyCandidates? _sticky;
    private readonly ZoneStage? _zones;

    private PickPipeline(PickStages stages, CandidateSet candidates, StickyCandidates? sticky, ZoneStage? zones)
    {
        _stages = stages;
        Candidates = candidates;
        _sticky = sticky;
        _zones = zones;
    }

    /// <summary>The candidates, in member order.</summary>
    public CandidateSet Candidates { get; }

    /// <summary>Control plane: prepares every stage for a candidate set (which may be empty).</summary>
    public static PickPipeline Build(PickStages stages, CandidateSet candidates)
    {
        if (candidates.Count == 0)
        {
            return new PickPipeline(stages, candidates, null, null);
        }

        candidates.Prepare(stages.Strategy);
        StickyCandidates? sticky = null;
        if (stages.Sticky is { } router)
        {
            var endpoints = candidates.Endpoints;
            // Configured weights, not effective ones: a slow-start ramp changes effective weights every few seconds, and
            // each change would rebuild the table and move unbound keys. Keyed traffic is bound for hours, which a ramp
            // of minutes could not shape anyway.
            var configured = new double[endpoints.Length];
            var ids = new string[endpoints.Length];
            for (var i = 0; i < endpoints.Length; i++)
            {
                configured[i] = endpoints[i].Endpoint.Weight;
                ids[i] = endpoints[i].Endpoint.Id;
            }

            sticky = router.Prepare(ids, configured.All(w => w == configured[0]) ? null : configured);
        }

        var zones = stages.Zones.Mode == ZoneRoutingMode.CrossZone ? null : ZoneStage.Build(candidates, stages.Zones, stages.Strategy);
        return new PickPipeline(stages, candidates, sticky, zones);
    }

    /// <summary>Request path: the index of the chosen candidate. <see cref="Candidates"/> must not be empty.</summary>
    /// <exception cref="StickyEndpointUnavailableException">The key's bound endpoint is gone and the sticky policy is Fail.</exception>
    public int Pick(ref PickContext context)
    {
        var stages = _stages;
        if (stages.Sticky is { } router)
        {
            if (context.TryGetKeyHash(router.Extractor, out var keyHash))
            {
                return router.Pick(keyHash, _sticky!);
            }

            stages.Telemetry.RecordStickyDecision("none");
        }

        if (_zones is not null)
        {
            var set = _zones.DrawZone(stages.Random, out var indices, out var isLocal);
            if (stages.Zones.LocalZone is not null)
            {
                stages.Telemetry.RecordZonePick(isLocal);
            }

            return set.Count == 0 ? 0 : indices[CheckedPick(set, context.Request)];
        }

        var index = CheckedPick(Candidates, context.Request);
        if (stages.Zones is { Mode: not ZoneRoutingMode.CrossZone, LocalZone: { } localZone } && stages.Telemetry.Instruments.ZonePicks.Enabled)
        {
            stages.Telemetry.RecordZonePick(
                string.Equals(Candidates[index].Endpoint.Zone, localZone, StringComparison.OrdinalIgnoreCase));
        }

        return index;
    }

    /// <summary>
    /// Request path, for a retry: a candidate not in <paramref name="tried"/> (and not to be avoided at
    /// <paramref name="now"/>: being ejected, or under a Retry-After) where one exists. Asks the pipeline again a few
    /// times, then takes the first such candidate after its last choice; when there is none, the pipeline's choice.
    /// </summary>
    public int PickUntried(ref PickContext context, in TriedEndpoints tried, long now)
    {
        var first = Pick(ref context);
        if (IsFresh(Candidates[first], tried, now))
        {
            return first;
        }

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var index = Pick(ref context);
            if (IsFresh(Candidates[index], tried, now))
            {
                return index;
            }
        }

        for (var k = 1; k < Candidates.Count; k++)
        {
            var index = (first + k) % Candidates.Count;
            if (IsFresh(Candidates[index], tried, now))
            {
                return index;
            }
        }

        return first;
    }

    private static bool IsFresh(EndpointState state, in TriedEndpoints tried, long now) =>
        !tried.Contains(state) && !state.ShouldAvoid(now);

    private int CheckedPick(CandidateSet set, HttpRequestMessage? request)
    {
        var index = _stages.Strategy.Pick(set, request);
        if ((uint)index >= (uint)set.Count)
        {
            ThrowBadPick(index, set.Count);
        }

        return index;
    }

    [StackTraceHidden]
    private void ThrowBadPick(int index, int count) =>
        throw new InvalidOperationException(
            $"Strategy '{_stages.Strategy.Name}' of service '{_stages.ServiceName}' picked index {index} out of {count} candidates.");
}

/// <summary>
/// What a pool's pick pipelines are made of: the strategy, the sticky router (bindings outlive snapshots), the zone
/// options and the random source of zone draws. Replaced on a reload that changes any of them.
/// </summary>
internal sealed record PickStages(PoolTelemetry Telemetry, ILoadBalancingStrategy Strategy, StickySessionRouter? Sticky, ZoneOptions Zones, Random Random)
{
    public string ServiceName => Telemetry.ServiceName;
}
