using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// Supplies the endpoints of one service and says when they change: the extension point for any registry
/// (DNS, Consul, Kubernetes, Microsoft.Extensions.ServiceDiscovery's resolver, a scaling group).
/// </summary>
/// <remarks>
/// The pool calls <see cref="GetEndpointsAsync"/> once at start and again each time the token from
/// <see cref="GetChangeToken"/> fires. A result that is empty, holds duplicates, or throws is rejected: the pool
/// keeps this source's last good set and logs why. <see cref="EndpointSource"/> has ready-made sources.
/// </remarks>
public interface IEndpointSource
{
    /// <summary>A short description for logs and errors, e.g. <c>consul:catalog</c>.</summary>
    string Name { get; }

    /// <summary>Resolves the current endpoints.</summary>
    /// <param name="cancellationToken">Cancelled when the pool is disposed.</param>
    ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken);

    /// <summary>A token that fires when the endpoints may have changed, or <see langword="null"/> if they never do.</summary>
    IChangeToken? GetChangeToken();

    /// <summary>
    /// Whether an empty result is a real answer (a group scaled to zero) rather than a fault to reject. The default is
    /// <see langword="false"/>: an empty result is rejected and the last good set kept.
    /// </summary>
    bool AllowsEmpty => false;
}
