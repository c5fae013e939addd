using Loadstone;
using Loadstone.ServiceDiscovery;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.ServiceDiscovery;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Balances the HttpClients of an application that uses Microsoft.Extensions.ServiceDiscovery with Loadstone.</summary>
public static class ServiceDiscoveryLoadBalancingExtensions
{
    /// <summary>
    /// Makes Microsoft.Extensions.ServiceDiscovery's resolver the endpoint source of every load-balanced service, and
    /// (unless <see cref="ServiceDiscoveryLoadBalancingOptions.BalanceServiceDiscoveryClients"/> is turned off) balances
    /// every HttpClient that uses service discovery with Loadstone: health checks, outlier detection, retries on another
    /// endpoint and stickiness, whatever the order in which the client, its resilience handler and service discovery were
    /// registered. The services are those of the <c>Services</c> section, plus those registered by name
    /// (<c>AddLoadBalancedService</c>, <c>AddLoadBalancedHttpClient</c>); ServiceDiscovery keeps resolving any other host.
    /// Safe to call more than once.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the bridge's options; optional.</param>
    /// <returns>The services.</returns>
    /// <remarks>
    /// Loadstone's own reader of the <c>Services</c> section steps aside (ServiceDiscovery's configuration provider reads
    /// it), and <see cref="LoadBalancingOptions.MatchRequestScheme"/> defaults to <see langword="true"/>, so a request
    /// reaches the endpoints ServiceDiscovery resolves for its URI. Calls <c>AddServiceDiscovery()</c> when the
    /// application has not registered any ServiceDiscovery provider yet.
    /// </remarks>
    public static IServiceCollection AddServiceDiscoveryLoadBalancing(this IServiceCollection services,
        Action<ServiceDiscoveryLoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(IServiceEndpointProviderFactory)))
        {
            services.AddServiceDiscovery();
        }

        services.AddServiceDiscoveryCore();
        services.AddLoadBalancing();
        services.AddOptions<ServiceDiscoveryLoadBalancingOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<ServiceDiscoveryEndpointRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEndpointRegistry, ServiceDiscoveryEndpointRegistry>(
            sp => sp.GetRequiredService<ServiceDiscoveryEndpointRegistry>()));
        // After the core's handler placement (registered by AddLoadBalancing), so it runs first and placement sees its handler.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, ServiceDiscoveryClientAdoption>());
        return services;
    }
}
