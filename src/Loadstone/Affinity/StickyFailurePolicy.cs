namespace Loadstone;

/// <summary>What happens when the endpoint a key is bound to is unhealthy or has left the pool.</summary>
public enum StickyFailurePolicy
{
    /// <summary>
    /// The default: the key is bound to a newly chosen endpoint and stays there, even after the old one recovers
    /// (like an ALB rebinding its stickiness cookie).
    /// </summary>
    Redistribute,

    /// <summary>
    /// The request fails with <see cref="StickyEndpointUnavailableException"/> and the binding is forgotten, so the
    /// next request with that key (a retry, or a new session) is bound afresh. For state that cannot move.
    /// </summary>
    Fail,
}
