using Loadstone;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds load balancing to any named or typed HttpClient.</summary>
public static class LoadBalancingHttpClientBuilderExtensions
{
    /// <summary>
    /// Balances this client's requests to <c>http://{serviceName}/…</c> over the service's endpoints, and registers the
    /// service's options (validated when the host starts). Requests to other configured services are balanced too;
    /// any other request passes through.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="serviceName">The logical service name; a valid host name such as <c>catalog</c>.</param>
    /// <param name="configure">Configures the service's options after configuration is applied; optional.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddLoadBalancing(this IHttpClientBuilder builder, string serviceName,
        Action<LoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLoadBalancedService(serviceName, configure);
        return builder.AddLoadBalancing();
    }

    /// <summary>
    /// Balances this client's requests to every service configured under <c>LoadBalancing:Services</c> or
    /// <c>Services</c>, or registered by name; any other request passes through.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddLoadBalancing(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddLoadBalancing();
        if (builder.Services.Any(d => d.ImplementationInstance is LoadBalancedClient c
            && string.Equals(c.ClientName, builder.Name, StringComparison.Ordinal)))
        {
            return builder;
        }

        builder.Services.AddSingleton(new LoadBalancedClient(builder.Name));
        return builder.AddHttpMessageHandler(sp => new LoadBalancingHandler(sp.GetRequiredService<ServicePoolRegistry>()));
    }
}
