namespace Loadstone.Scaling;

/// <summary>
/// One client's view of a service's endpoints, as its pool measured it: the figures of the endpoints it routes to and
/// the ids of those it still drains. A fleet's controller adds up every client's report (<see cref="FleetLoadAggregator"/>).
/// </summary>
public sealed class BalancerReport
{
    /// <summary>Creates a report.</summary>
    /// <param name="endpoints">The figures of each endpoint the client routes to, by <see cref="LoadBalancedEndpoint.Id"/>.</param>
    /// <param name="draining">The ids of the endpoints the client still drains (no new requests, some in flight).</param>
    public BalancerReport(IReadOnlyDictionary<string, EndpointLoad> endpoints, IReadOnlyCollection<string>? draining = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        Endpoints = endpoints;
        Draining = draining ?? [];
    }

    /// <summary>The figures of each endpoint the client routes to, by endpoint id.</summary>
    public IReadOnlyDictionary<string, EndpointLoad> Endpoints { get; }

    /// <summary>The ids of the endpoints the client still drains.</summary>
    public IReadOnlyCollection<string> Draining { get; }

    /// <summary>Whether the client routes to or drains the endpoint.</summary>
    /// <param name="endpointId">The endpoint's id.</param>
    public bool Holds(string endpointId) => Endpoints.ContainsKey(endpointId) || Draining.Contains(endpointId);
}
