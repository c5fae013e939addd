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
        builder.Services.AddOptions<LoadBalancingOptions>(builder.ServiceName).Configure(CodeConfiguration.Reporting(builder.ServiceName, configure));
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

    /// <summary>
    /// Builds the service's strategy in code, instead of choosing it by <see cref="LoadBalancingOptions.Strategy"/>. To
    /// make a strategy selectable by name from configuration, use <c>AddLoadBalancingStrategy</c> instead.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="factory">Creates the strategy of the service's pool.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UseStrategy(this ILoadBalancedServiceBuilder builder, Func<StrategyContext, ILoadBalancingStrategy> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ServicePoolSetup>(builder.ServiceName, s => s.StrategyFactory = factory);
        return builder;
    }

    /// <summary>
    /// Gives the service's pool its own random source (for randomised strategies and zone draws). Without it, the pool
    /// uses <see cref="Random.Shared"/>. A seeded <see cref="Random"/> makes picks reproducible but is not thread-safe:
    /// only for tests and simulations whose picks are not concurrent.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="random">The random source.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UseRandom(this ILoadBalancedServiceBuilder builder, Random random)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(random);
        builder.Services.Configure<ServicePoolSetup>(builder.ServiceName, s => s.Random = random);
        return builder;
    }

    /// <summary>
    /// Gives subsetting this client's peer coordinate from a source that can change (a peer registry), instead of
    /// <c>Subsetting:ClientIndex</c> and <c>Subsetting:ClientCount</c>. The pool rebuilds its subset when the source's
    /// change token fires.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="factory">Creates the source; called once per pool.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UsePeerCoordinates(this ILoadBalancedServiceBuilder builder, Func<IServiceProvider, IPeerCoordinateSource> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ServicePoolSetup>(builder.ServiceName, s => s.PeerCoordinates = factory);
        return builder;
    }

    /// <summary>
    /// Builds the handler the service's health probes are sent with (TLS settings, a proxy). Without it, probes use a
    /// <see cref="SocketsHttpHandler"/> that never follows redirects. Called when probing starts; the pool disposes the
    /// handler when probing stops, so return a new one on each call.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="factory">Creates a handler.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UseProbeHandler(this ILoadBalancedServiceBuilder builder, Func<IServiceProvider, HttpMessageHandler> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ServicePoolSetup>(builder.ServiceName, s => s.ProbeHandlerFactory = factory);
        return builder;
    }

    /// <summary>
    /// Replaces what active health checks send and how they judge the answer (by default an HTTP GET of
    /// <see cref="ActiveHealthCheckOptions.Path"/> whose status code is matched), e.g. the gRPC health checking protocol
    /// of the Loadstone.Grpc package. Probes still run only when <see cref="ActiveHealthCheckOptions.Enabled"/> is set.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="factory">Creates the check; called once per pool.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UseActiveHealthCheck(this ILoadBalancedServiceBuilder builder, Func<IServiceProvider, IActiveHealthCheck> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ServicePoolSetup>(builder.ServiceName, s => s.ActiveHealthCheckFactory = factory);
        return builder;
    }
}

/// <summary>An endpoint source registered in code for one service.</summary>
internal sealed record EndpointSourceRegistration(string ServiceName, Func<IServiceProvider, IEndpointSource> Factory);

internal sealed class LoadBalancedServiceBuilder(string serviceName, IServiceCollection services) : ILoadBalancedServiceBuilder
{
    public string ServiceName { get; } = serviceName;

    public IServiceCollection Services { get; } = services;
}
