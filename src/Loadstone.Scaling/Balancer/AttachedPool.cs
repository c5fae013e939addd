namespace Loadstone.Scaling;

/// <summary>
/// The pool a group feeds (<see cref="ScalingGroup.AttachPool"/>): where built-in metrics, balancer health and the end
/// of draining are read. Only the pool's public view is used: <see cref="ServicePool.Endpoints"/>.
/// </summary>
internal sealed class AttachedPool(ServicePool pool, bool useBalancerHealth)
{
    public ServicePool Pool { get; } = pool;

    /// <summary>Whether an endpoint the pool reports unhealthy makes its instance unhealthy (health check type ELB).</summary>
    public bool UseBalancerHealth { get; } = useBalancerHealth;

    /// <summary>The pool's state of each endpoint it routes to, by endpoint id (draining endpoints left out).</summary>
    public Dictionary<string, EndpointState> RoutedStates()
    {
        var states = new Dictionary<string, EndpointState>(StringComparer.Ordinal);
        foreach (var state in Pool.Endpoints)
        {
            if (state.Health != EndpointHealth.Draining)
            {
                states.TryAdd(state.Endpoint.Id, state);
            }
        }

        return states;
    }

    /// <summary>
    /// Whether the pool still holds the endpoint: routes to it, or drains it (the pool drops a draining endpoint once
    /// it is idle or its deregistration delay has passed).
    /// </summary>
    public bool Holds(string endpointId)
    {
        foreach (var state in Pool.Endpoints)
        {
            if (string.Equals(state.Endpoint.Id, endpointId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
