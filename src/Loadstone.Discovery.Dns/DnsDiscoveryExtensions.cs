using Loadstone;
using Loadstone.Discovery.Dns;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DNS discovery: sources in code on a service's builder, or from configuration.</summary>
public static class DnsDiscoveryExtensions
{
    /// <summary>
    /// Lets configuration describe DNS sources: a service with a <c>LoadBalancing:Services:{service}:Discovery:Dns</c>
    /// section (the properties of <see cref="DnsDiscoveryOptions"/>, e.g. <c>SrvName</c> or <c>HostName</c> and
    /// <c>Port</c>) gets a DNS source. Problems in the section are reported at start-up with the other options of the
    /// service. Sources are disposed with the container. Safe to call more than once.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddDnsDiscovery(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<DnsSourceFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEndpointSourceProvider, DnsEndpointSourceProvider>());
        return services;
    }

    /// <summary>
    /// Adds a source that reads the service's endpoints from SRV records, e.g.
    /// <c>_http._tcp.catalog.ns.svc.cluster.local</c>: the lowest-priority group, weights mapped to endpoint weights,
    /// target host names kept for Host and TLS.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="srvName">The SRV record set to read.</param>
    /// <param name="configure">Sets the other options (name server, refresh bounds, <see cref="DnsDiscoveryOptions.AllowsEmpty"/>...).</param>
    /// <returns>The builder.</returns>
    /// <remarks>The options are validated when the service's pool is first built (start-up validation), with every problem in one message.</remarks>
    public static ILoadBalancedServiceBuilder AddDnsSrvSource(this ILoadBalancedServiceBuilder builder, string srvName, Action<DnsDiscoveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(srvName);
        return builder.AddDnsSource(o =>
        {
            o.SrvName = srvName;
            configure?.Invoke(o);
        });
    }

    /// <summary>Adds a source that reads the service's endpoints from the A/AAAA records of a host name, e.g. a Kubernetes headless service.</summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="hostName">The host name, e.g. <c>catalog.ns.svc.cluster.local</c>.</param>
    /// <param name="port">The port every instance listens on, 1 to 65535.</param>
    /// <param name="configure">Sets the other options.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder AddDnsSource(this ILoadBalancedServiceBuilder builder, string hostName, int port, Action<DnsDiscoveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName);
        return builder.AddDnsSource(o =>
        {
            o.HostName = hostName;
            o.Port = port;
            configure?.Invoke(o);
        });
    }

    /// <summary>Adds a DNS source described entirely by <paramref name="configure"/> (set <see cref="DnsDiscoveryOptions.SrvName"/>, or <see cref="DnsDiscoveryOptions.HostName"/> and <see cref="DnsDiscoveryOptions.Port"/>).</summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder AddDnsSource(this ILoadBalancedServiceBuilder builder, Action<DnsDiscoveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddDnsDiscovery();
        var serviceName = builder.ServiceName;
        return builder.AddEndpointSource(sp =>
        {
            var options = new DnsDiscoveryOptions();
            configure(options);
            return sp.GetRequiredService<DnsSourceFactory>().Create(serviceName, options);
        });
    }
}
