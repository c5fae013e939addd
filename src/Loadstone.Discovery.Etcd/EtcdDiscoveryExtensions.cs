using Loadstone;
using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers etcd discovery (sources in code or from configuration) and instance self-registration.</summary>
public static class EtcdDiscoveryExtensions
{
    /// <summary>
    /// Lets configuration describe etcd sources: a service with a <c>LoadBalancing:Services:{service}:Discovery:Etcd</c>
    /// section (the properties of <see cref="EtcdDiscoveryOptions"/>: <c>Endpoints</c>, <c>Prefix</c>...) gets an etcd
    /// source. Problems in the section are reported at start-up with the service's other options. Sources are disposed
    /// with the container. Safe to call more than once.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddEtcdDiscovery(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<EtcdSourceFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEndpointSourceProvider, EtcdEndpointSourceProvider>());
        return services;
    }

    /// <summary>Adds a source that watches the service's endpoints under an etcd key prefix.</summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="prefix">The key prefix, e.g. <c>/services/catalog/</c>.</param>
    /// <param name="configure">Sets the other options; at least one of <see cref="EtcdDiscoveryOptions.Endpoints"/> is required.</param>
    /// <returns>The builder.</returns>
    /// <remarks>The options are validated when the service's pool is first built (start-up validation), with every problem in one message.</remarks>
    public static ILoadBalancedServiceBuilder AddEtcdSource(this ILoadBalancedServiceBuilder builder, string prefix, Action<EtcdDiscoveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddEtcdDiscovery();
        var serviceName = builder.ServiceName;
        return builder.AddEndpointSource(sp =>
        {
            var options = new EtcdDiscoveryOptions { Prefix = prefix };
            configure(options);
            return sp.GetRequiredService<EtcdSourceFactory>().Create(serviceName, options);
        });
    }

    /// <summary>
    /// Registers this application as an instance of a service in etcd, with a hosted service: once the application has
    /// started, its endpoint document goes to <c>{Prefix}{InstanceId}</c> under a lease that is kept alive; at graceful
    /// shutdown the key is deleted before the server stops and the instance serves for
    /// <see cref="EtcdRegistrationOptions.DrainDelay"/> more; a crashed instance's key disappears when its lease expires.
    /// Call once per service the application serves.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options: <see cref="EtcdRegistrationOptions.Endpoints"/>, <see cref="EtcdRegistrationOptions.Prefix"/> and the address are required.</param>
    /// <returns>The services.</returns>
    /// <remarks>The options are validated when the hosted service is created, at host start; every problem is reported in one message.</remarks>
    public static IServiceCollection AddEtcdRegistration(this IServiceCollection services, Action<EtcdRegistrationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton<IHostedService>(sp =>
        {
            var options = new EtcdRegistrationOptions();
            configure(options);
            return new EtcdRegistrationService(options, sp, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>());
        });
        return services;
    }
}
