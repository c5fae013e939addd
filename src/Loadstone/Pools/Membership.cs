namespace Loadstone;

/// <summary>
/// Which endpoints a pool has, and the draining of those that left: the deregistration delay, like an ALB target
/// group's. The one owner of draining in the library: a scaling group that terminates an instance removes it from
/// its source and waits until <see cref="Contains"/> says the pool let it go. Control plane only: called under the
/// pool's lock.
/// </summary>
internal sealed class Membership
{
    private readonly Dictionary<string, EndpointState> _states = new(StringComparer.Ordinal);
    private readonly List<EndpointState> _draining = [];

    /// <summary>Members and draining endpoints together.</summary>
    public int Count => _states.Count;

    /// <summary>Members, not counting draining endpoints.</summary>
    public int MemberCount => _states.Count - _draining.Count;

    /// <summary>Endpoints that left their source and still finish in-flight requests, in the order they left.</summary>
    public IReadOnlyList<EndpointState> Draining => _draining;

    /// <summary>Every state the pool holds, members and draining.</summary>
    public IEnumerable<EndpointState> States => _states.Values;

    /// <summary>Whether an endpoint (member or draining) is still part of the pool.</summary>
    public bool Contains(string endpointId) => _states.ContainsKey(endpointId);

    /// <summary>Whether the state is the pool's current state of a member (not draining, not replaced).</summary>
    public bool IsMember(EndpointState state) =>
        state.DrainDeadline is null && _states.TryGetValue(state.Endpoint.Id, out var current) && ReferenceEquals(current, state);

    /// <summary>
    /// Makes <paramref name="desired"/> the members, in its order (the first of duplicate ids wins). Endpoints that stay
    /// keep their state (counters, latency, health), taking the new endpoint's weight, zone and metadata; one that was
    /// draining and comes back rejoins. Endpoints that left drain while requests are in flight, or go at once.
    /// </summary>
    /// <param name="desired">The endpoints the sources and options list now.</param>
    /// <param name="now">The pool's time.</param>
    /// <param name="deregistrationDelay">How long a leaving endpoint may drain.</param>
    /// <param name="create">Creates the state of a new endpoint; the flag says whether any member is routable now.</param>
    /// <returns>The members, in order.</returns>
    public List<EndpointState> Update(IEnumerable<LoadBalancedEndpoint> desired, DateTimeOffset now, TimeSpan deregistrationDelay,
        Func<LoadBalancedEndpoint, bool, EndpointState> create)
    {
        var members = new List<EndpointState>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var anyRoutable = _states.Values.Any(s => s.IsRoutable);
        foreach (var endpoint in desired)
        {
            if (!seen.Add(endpoint.Id))
            {
                continue;
            }

            if (_states.TryGetValue(endpoint.Id, out var state))
            {
                state.Endpoint = endpoint;
                if (state.DrainDeadline is not null)
                {
                    state.DrainDeadline = null;
                    _draining.Remove(state);
                }
            }
            else
            {
                state = create(endpoint, anyRoutable);
                _states.Add(endpoint.Id, state);
            }

            members.Add(state);
        }

        if (_states.Count != seen.Count + _draining.Count)
        {
            foreach (var state in _states.Values.Where(s => !seen.Contains(s.Endpoint.Id) && s.DrainDeadline is null).ToList())
            {
                if (state.ActiveRequests > 0 && deregistrationDelay > TimeSpan.Zero)
                {
                    state.DrainDeadline = now + deregistrationDelay;
                    state.SlowStartSince = null;
                    state.WeightFactor = 1;
                    state.Health = EndpointHealth.Draining;
                    state.HealthReason = EndpointHealthReason.DeregistrationInProgress;
                    _draining.Add(state);
                }
                else
                {
                    Remove(state);
                }
            }
        }

        return members;
    }

    /// <summary>Drops draining endpoints that are idle or past their deadline.</summary>
    /// <returns>The endpoints dropped, with the requests they still had in flight; empty when none.</returns>
    public List<(EndpointState State, int InFlight)> ProgressDraining(DateTimeOffset now)
    {
        List<(EndpointState, int)>? dropped = null;
        for (var i = _draining.Count - 1; i >= 0; i--)
        {
            var state = _draining[i];
            var inFlight = state.ActiveRequests;
            if (inFlight == 0 || now >= state.DrainDeadline)
            {
                _draining.RemoveAt(i);
                Remove(state);
                (dropped ??= []).Add((state, inFlight));
            }
        }

        return dropped ?? [];
    }

    private void Remove(EndpointState state)
    {
        _states.Remove(state.Endpoint.Id);
        state.Health = EndpointHealth.Unused;
        state.HealthReason = EndpointHealthReason.NotRegistered;
    }
}
