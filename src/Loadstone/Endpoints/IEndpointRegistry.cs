namespace Loadstone;

/// <summary>
/// A registry that knows services by name and supplies the endpoint source of every load-balanced service of the
/// container, with no per-service configuration: Microsoft.Extensions.ServiceDiscovery's resolver (package
/// Loadstone.ServiceDiscovery), a Consul catalog, a Kubernetes API. Register it in the container as
/// <see cref="IEndpointRegistry"/>; its sources come after those registered in code and in <c>Discovery</c> sections.
/// </summary>
public interface IEndpointRegistry
{
    /// <summary>A short description for logs and errors, e.g. <c>ServiceDiscovery</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether the registry reads Microsoft.Extensions.ServiceDiscovery's <c>Services</c> section itself. When
    /// <see langword="true"/>, Loadstone's own reader of that section steps aside (each endpoint is listed once, with the
    /// registry's semantics) and <see cref="LoadBalancingOptions.MatchRequestScheme"/> defaults to <see langword="true"/>.
    /// </summary>
    bool ReadsServicesSection { get; }

    /// <summary>Creates the source of one service's endpoints; called once per service and container.</summary>
    /// <param name="serviceName">The logical service name.</param>
    /// <returns>The source, or <see langword="null"/> when the registry has nothing to say about the service.</returns>
    IEndpointSource? CreateSource(string serviceName);
}
