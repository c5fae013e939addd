namespace Loadstone;

/// <summary>
/// Thrown when a request's sticky key is bound to an endpoint that is unhealthy or has left the pool and
/// <see cref="StickySessionOptions.FailurePolicy"/> is <see cref="StickyFailurePolicy.Fail"/>. The binding is
/// forgotten, so the next request with that key is bound afresh. Derives from <see cref="HttpRequestException"/>.
/// </summary>
public sealed class StickyEndpointUnavailableException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The logical service.</param>
    /// <param name="keyHash">The 64-bit hash of the sticky key (never the key itself).</param>
    public StickyEndpointUnavailableException(string serviceName, ulong keyHash)
        : base($"The endpoint of service '{serviceName}' bound to sticky key hash {keyHash:x16} is unhealthy or no longer in the pool, and the sticky failure policy is Fail.", null, null)
    {
        ServiceName = serviceName;
        KeyHash = keyHash;
    }

    /// <summary>The logical service.</summary>
    public string ServiceName { get; }

    /// <summary>The 64-bit hash of the sticky key, as it appears in logs; the raw key is never kept.</summary>
    public ulong KeyHash { get; }
}
