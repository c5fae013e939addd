using Loadstone;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds options and endpoint sources to a load-balanced service.</summary>
public static class LoadBalancedServiceBuilderExtensions
{
    /// <summary>Configures the service's options, after configuration (<c>LoadBalancing:Services:{service}</c>) is applied.</summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder Configure(this ILoadBalancedServiceBuilder builder, Action<LoadBalancingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<LoadBalancingOptions>(builder.ServiceName).Configure(configure);
        return builder;
    }

    /// <summary>
    /// Adds a source of endpoints (a registry, DNS, a scaling group) created from the container when the service's pool
    /// is created. The pool watches it for its lifetime; a bad update keeps the source's last good set.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="factory">Creates the source; called once per pool.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder AddEndpointSource(this ILoadBalancedServiceBuilder builder, Func<IServiceProvider, IEndpointSource> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new EndpointSourceRegistration(builder.ServiceName, factory));
        return builder;
    }

    /// <summary>Adds a source of endpoints; see <see cref="AddEndpointSource(ILoadBalancedServiceBuilder, Func{IServiceProvider, IEndpointSource})"/>.</summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="source">The source, shared by every pool of this service (one per container).</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder AddEndpointSource(this ILoadBalancedServiceBuilder builder, IEndpointSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return builder.AddEndpointSource(_ => source);
    }
}

/// <summary>An endpoint source registered in code for one service.</summary>
internal sealed record EndpointSourceRegistration(string ServiceName, Func<IServiceProvider, IEndpointSource> Factory);

internal sealed class LoadBalancedServiceBuilder(string serviceName, IServiceCollection services) : ILoadBalancedServiceBuilder
{
    public string ServiceName { get; } = serviceName;

    public IServiceCollection Services { get; } = services;
}
