namespace Loadstone;

/// <summary>The state of an endpoint, like an ALB target's state.</summary>
public enum EndpointHealth
{
    /// <summary>Registered, and waiting for its first active health check to pass. Gets no traffic unless the pool fails open.</summary>
    Initial,

    /// <summary>Passing its checks; gets traffic.</summary>
    Healthy,

    /// <summary>Failing active checks, or ejected by outlier detection; gets no traffic unless the pool fails open.</summary>
    Unhealthy,

    /// <summary>Removed from its source; gets no new requests while its in-flight requests finish.</summary>
    Draining,

    /// <summary>Removed and drained: no longer part of the pool (seen only in a status taken as it leaves).</summary>
    Unused,

    /// <summary>
    /// Serving traffic without active health checks, which are off for the pool; outlier detection can still eject it.
    /// An ALB reports such a target as <c>unavailable</c>; here it is routable, so the name says what it is.
    /// </summary>
    Unchecked,
}
