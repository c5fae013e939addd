using Grpc.Net.Client.Balancer;
using Grpc.Net.ClientFactory;
using Loadstone;
using Loadstone.Grpc;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Balances Grpc.Net.Client channels with Loadstone's pools, and probes endpoints with the gRPC health protocol.</summary>
public static class GrpcLoadBalancingExtensions
{
    /// <summary>
    /// Registers Loadstone's resolver (<c>loadstone:///{service}</c>) and load-balancing policy (<c>loadstone</c>) for
    /// Grpc.Net.Client channels whose <c>GrpcChannelOptions.ServiceProvider</c> is this container (the gRPC client
    /// factory's channels are). Safe to call more than once.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddGrpcLoadBalancing(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLoadBalancing();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory, LoadstoneResolverFactory>(
            sp => new LoadstoneResolverFactory(sp.GetRequiredService<ServicePoolRegistry>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<LoadBalancerFactory, LoadstoneLoadBalancerFactory>());
        return services;
    }

    /// <summary>
    /// Balances a gRPC client's calls (<c>AddGrpcClient&lt;T&gt;()</c>) with the pool of <paramref name="serviceName"/>
    /// through Grpc.Net.Client's own balancer: the channel's address becomes <c>loadstone:///{serviceName}</c> (unless
    /// one was set), Grpc.Net.Client keeps a connection per endpoint, and Loadstone chooses the endpoint of each call and
    /// leases it until the call ends, with its <c>grpc-status</c> as the outcome. Without channel credentials, the
    /// channel uses TLS when the service lists an https endpoint, and h2c otherwise.
    /// </summary>
    /// <param name="builder">The gRPC client's builder.</param>
    /// <param name="serviceName">The logical service name; a valid host name such as <c>catalog</c>.</param>
    /// <param name="configure">Configures the service's options after configuration is applied; optional.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// The other route, <c>AddLoadBalancing(serviceName)</c> with the address <c>http://{serviceName}</c>, balances the
    /// client's HTTP requests instead (one lease per request, completed at the response headers); it is the one to use
    /// with ServiceDiscovery's client defaults, which turn Grpc.Net.Client's balancer off for every client.
    /// </remarks>
    public static IHttpClientBuilder AddGrpcLoadBalancing(this IHttpClientBuilder builder, string serviceName,
        Action<LoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLoadBalancedService(serviceName, configure);
        builder.Services.AddGrpcLoadBalancing();
        var clientName = builder.Name;
        builder.Services.PostConfigure<GrpcClientFactoryOptions>(clientName, o =>
        {
            o.Address ??= new Uri($"{GrpcLoadBalancing.Scheme}:///{serviceName}");
            if (o.Address.Scheme != GrpcLoadBalancing.Scheme)
            {
                throw new InvalidOperationException(
                    $"gRPC client '{clientName}' has the address {o.Address} and AddGrpcLoadBalancing(\"{serviceName}\"): the policy route needs the address {GrpcLoadBalancing.Scheme}:///{serviceName} (or none). To balance requests to {o.Address} instead, use AddLoadBalancing(\"{serviceName}\").");
            }
        });
        builder.AddHttpMessageHandler(() => new GrpcCallTrackingHandler());
        return builder.ConfigureChannel((services, options) =>
            options.Credentials ??= LoadBalancedGrpcChannel.CredentialsFor(services.GetRequiredService<ServicePoolRegistry>().GetPool(serviceName)));
    }

    /// <summary>
    /// Probes the service's endpoints with the gRPC health checking protocol (<c>grpc.health.v1.Health/Check</c>)
    /// instead of an HTTP GET, when active health checks are enabled (<c>HealthChecks:Active:Enabled</c>).
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="service">The service name asked about; the default, empty, asks about the server as a whole.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancedServiceBuilder UseGrpcHealthChecks(this ILoadBalancedServiceBuilder builder, string service = "")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseActiveHealthCheck(_ => new GrpcHealthCheck(service));
    }
}
