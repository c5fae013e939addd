namespace Loadstone;

/// <summary>
/// Sticky sessions around any strategy: a request with a sticky key goes where <see cref="StickySessionRouter"/>
/// sends it; a request without one is left to the inner strategy. <see cref="Prepare"/> builds the Maglev table of a
/// candidate set (and the inner strategy's state on a copy of the set).
/// </summary>
internal sealed class StickySessionStrategy : ILoadBalancingStrategy, IWrappingStrategy
{
    private readonly ILoadBalancingStrategy _inner;

    public StickySessionStrategy(ILoadBalancingStrategy inner, StickySessionRouter router)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(router);
        _inner = inner;
        Router = router;
    }

    public string Name => _inner.Name;

    public ILoadBalancingStrategy Innermost => _inner is IWrappingStrategy wrapped ? wrapped.Innermost : _inner;

    public StickySessionRouter Router { get; }

    public object? Prepare(CandidateSet candidates)
    {
        var endpoints = candidates.Endpoints.ToArray();
        var weights = candidates.Weights.ToArray();
        var ids = endpoints.Select(e => e.Endpoint.Id).ToArray();

        // Configured weights, not effective ones: a slow-start ramp changes effective weights every few seconds, and
        // each change would rebuild the table and move unbound keys. A ramping endpoint so takes its full share of
        // new keys at once; keyed traffic is bound for hours, which a ramp of minutes could not shape anyway.
        var configured = endpoints.Select(e => (double)e.Endpoint.Weight).ToArray();
        var uniform = configured.All(w => w == configured[0]);
        var sticky = Router.Prepare(ids, uniform ? null : configured);
        var inner = new CandidateSet(endpoints, weights);
        inner.StrategyState = _inner.Prepare(inner);
        return new State(sticky, inner);
    }

    public int Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var state = (State)candidates.StrategyState!;
        if (request is not null)
        {
            var index = Router.Pick(request, state.Sticky);
            if (index >= 0)
            {
                return index;
            }
        }

        return _inner.Pick(state.Inner, request);
    }

    private sealed record State(StickyCandidates Sticky, CandidateSet Inner);
}
