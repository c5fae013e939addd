using Loadstone;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers connection balancing: a <see cref="ConnectionBalancer"/> per service, and HttpClients whose connections it balances.</summary>
public static class ConnectionBalancingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ConnectionBalancer"/> for a logical service, resolved as a keyed singleton:
    /// <c>GetRequiredKeyedService&lt;ConnectionBalancer&gt;("redis")</c> (the key is the name exactly as written here).
    /// Its pool is the service's pool in the <see cref="ServicePoolRegistry"/> (<c>AddLoadBalancedService</c>), shared
    /// with any request-level client of the same service. Safe to call more than once; the configure delegates add up.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The logical service name; a valid host name such as <c>redis</c>.</param>
    /// <param name="configurePool">
    /// Configures the service's pool options after configuration (<c>LoadBalancing:Services:{service}</c>) is applied;
    /// optional. The strategy defaults to <see cref="LoadBalancingStrategies.LeastRequests"/> (least connections) for a
    /// service registered here; configuration or this delegate may choose another.
    /// </param>
    /// <param name="configure">
    /// Configures the connection options after configuration (<c>LoadBalancing:Connections:{service}</c>) is applied; optional.
    /// </param>
    /// <returns>The service's builder, to add endpoint sources.</returns>
    public static ILoadBalancedServiceBuilder AddLoadBalancedConnections(this IServiceCollection services, string serviceName,
        Action<LoadBalancingOptions>? configurePool = null, Action<ConnectionBalancerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        LoadBalancingServiceCollectionExtensions.ValidateServiceName(serviceName);
        if (!services.Any(d => d.ImplementationInstance is ConnectionServiceRegistration r
            && string.Equals(r.ServiceName, serviceName, StringComparison.OrdinalIgnoreCase)))
        {
            services.AddSingleton(new ConnectionServiceRegistration(serviceName));

            // First of all the configure steps, so configuration and the caller's delegates override it.
            services.Insert(0, ServiceDescriptor.Singleton<IConfigureOptions<LoadBalancingOptions>>(
                new ConfigureNamedOptions<LoadBalancingOptions>(serviceName, static o => o.Strategy = LoadBalancingStrategies.LeastRequests)));
            services.AddOptions<ConnectionBalancerOptions>(serviceName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ConnectionBalancerOptions>, ConnectionBalancerConfiguration>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConnectionBalancerOptions>, ConnectionBalancerOptionsValidator>());
            services.AddKeyedSingleton(serviceName, (sp, _) => new ConnectionBalancer(
                sp.GetRequiredService<ServicePoolRegistry>().GetPool(serviceName),
                sp.GetRequiredService<IOptionsMonitor<ConnectionBalancerOptions>>().Get(serviceName),
                sp.GetService<ILoggerFactory>()));
        }

        if (configure is not null)
        {
            services.Configure(serviceName, configure);
        }

        return services.AddLoadBalancedService(serviceName, configurePool);
    }

    /// <summary>
    /// Balances this client's connections to <c>http(s)://{serviceName}</c> over the service's endpoints, without
    /// rewriting request URIs: the primary handler becomes a <see cref="SocketsHttpHandler"/> whose
    /// <see cref="SocketsHttpHandler.ConnectCallback"/> asks the service's <see cref="ConnectionBalancer"/> for each new
    /// connection. For clients whose requests cannot be rewritten (a third-party SDK that owns its HttpClient and takes a
    /// base URL); HTTPS is checked against the logical name. Each connection is balanced once, so a long-lived HTTP/2
    /// connection carries all its requests to one endpoint: prefer <c>AddLoadBalancing</c> (per request) where it fits.
    /// Connections to other hosts are made directly; calling this for several services balances each.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="serviceName">The logical service name, the host of the client's URIs, e.g. <c>catalog</c>.</param>
    /// <param name="configurePool">Configures the service's pool options; see <see cref="AddLoadBalancedConnections"/>.</param>
    /// <param name="configure">Configures the connection options; see <see cref="AddLoadBalancedConnections"/>.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder UseLoadBalancedConnections(this IHttpClientBuilder builder, string serviceName,
        Action<LoadBalancingOptions>? configurePool = null, Action<ConnectionBalancerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLoadBalancedConnections(serviceName, configurePool, configure);
        return builder.UseSocketsHttpHandler((handler, sp) =>
        {
            var balancer = sp.GetRequiredKeyedService<ConnectionBalancer>(serviceName);
            var previous = handler.ConnectCallback;
            handler.ConnectCallback = previous is null
                ? balancer.ConnectCallbackAsync
                : (context, token) => string.Equals(context.DnsEndPoint.Host, serviceName, StringComparison.OrdinalIgnoreCase)
                    ? balancer.ConnectCallbackAsync(context, token)
                    : previous(context, token);
        });
    }

    private sealed record ConnectionServiceRegistration(string ServiceName);
}
