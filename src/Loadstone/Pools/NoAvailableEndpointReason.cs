namespace Loadstone;

/// <summary>Why a pool could not choose an endpoint for a request.</summary>
public enum NoAvailableEndpointReason
{
    /// <summary>The service has no endpoints: none configured, or its sources have not delivered any yet.</summary>
    NoEndpoints,

    /// <summary>Every endpoint has weight 0, so none takes new traffic.</summary>
    AllWeightsZero,

    /// <summary>No endpoint matches what the request asked for (a named endpoint or a scheme such as <c>https+http</c>).</summary>
    NoMatchingEndpoint,

    /// <summary>Every endpoint is draining (removed from its source, finishing in-flight requests).</summary>
    AllDraining,

    /// <summary>Every endpoint is unhealthy and fail-open is disabled.</summary>
    AllUnhealthy,
}
