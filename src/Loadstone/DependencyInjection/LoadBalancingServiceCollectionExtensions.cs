using System.Diagnostics.CodeAnalysis;
using Loadstone;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers load-balanced HttpClients and the balancer's services.</summary>
public static class LoadBalancingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a named HttpClient for a logical service, with <see cref="HttpClient.BaseAddress"/>
    /// <c>http://{serviceName}</c>, whose requests are balanced over the service's endpoints.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The logical service name, also the client's name; a valid host name such as <c>catalog</c>.</param>
    /// <param name="configure">Configures the service's options after configuration is applied; optional.</param>
    /// <returns>The client's builder, for further configuration.</returns>
    public static IHttpClientBuilder AddLoadBalancedHttpClient(this IServiceCollection services, string serviceName,
        Action<LoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidateServiceName(serviceName);
        return services
            .AddHttpClient(serviceName, client => client.BaseAddress = new Uri($"http://{serviceName}"))
            .AddLoadBalancing(serviceName, configure);
    }

    /// <summary>
    /// Registers a typed HttpClient for a logical service, with <see cref="HttpClient.BaseAddress"/>
    /// <c>http://{serviceName}</c>, whose requests are balanced over the service's endpoints.
    /// </summary>
    /// <typeparam name="TClient">The typed client.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The logical service name; a valid host name such as <c>catalog</c>.</param>
    /// <param name="configure">Configures the service's options after configuration is applied; optional.</param>
    /// <returns>The client's builder, for further configuration.</returns>
    public static IHttpClientBuilder AddLoadBalancedHttpClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>(
        this IServiceCollection services, string serviceName,
        Action<LoadBalancingOptions>? configure = null)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidateServiceName(serviceName);
        return services
            .AddHttpClient<TClient>(client => client.BaseAddress = new Uri($"http://{serviceName}"))
            .AddLoadBalancing(serviceName, configure);
    }

    /// <summary>
    /// Registers a load-balanced service (one pool) without an HttpClient, for adding endpoint sources, for clients
    /// registered with <c>AddLoadBalancing</c>, and for non-HTTP use through <see cref="ServicePoolRegistry"/>.
    /// Its options are validated when the host starts. Safe to call more than once for the same service.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The logical service name; a valid host name such as <c>catalog</c>.</param>
    /// <param name="configure">Configures the service's options after configuration is applied; optional.</param>
    /// <returns>The service's builder, to add endpoint sources and options.</returns>
    public static ILoadBalancedServiceBuilder AddLoadBalancedService(this IServiceCollection services, string serviceName,
        Action<LoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ValidateServiceName(serviceName);
        services.AddLoadBalancing();
        if (!services.Any(d => d.ImplementationInstance is LoadBalancedServiceRegistration r
            && string.Equals(r.ServiceName, serviceName, StringComparison.OrdinalIgnoreCase)))
        {
            services.AddSingleton(new LoadBalancedServiceRegistration(serviceName));
        }

        var options = services.AddOptions<LoadBalancingOptions>(serviceName).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(CodeConfiguration.Reporting(serviceName, configure));
        }

        return new LoadBalancedServiceBuilder(serviceName, services);
    }

    /// <summary>
    /// Registers the balancer's shared services: the <see cref="ServicePoolRegistry"/>, configuration binding from
    /// <c>LoadBalancing:Services</c> and <c>Services</c>, and option validation. Safe to call more than once.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddLoadBalancing(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddSingleton<StrategyCatalog>(sp => new StrategyCatalog(sp.GetServices<StrategyRegistration>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoadBalancingOptions>, LoadBalancingOptionsValidator>(
            sp => new LoadBalancingOptionsValidator(sp.GetRequiredService<StrategyCatalog>(), name => ServicePoolFactory.Facts(sp, name))));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LoadBalancingOptions>, RouteTargetsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<LoadBalancingOptions>, ConfigureFromConfiguration>());
        services.TryAddSingleton<EndpointSourceCatalog>();
        // Its own monitor: services appear in configuration by name, and their reloads must reach subscribers.
        services.TryAddSingleton<IOptionsMonitor<LoadBalancingOptions>>(sp => new LoadBalancingOptionsMonitor(
            sp.GetRequiredService<IOptionsFactory<LoadBalancingOptions>>(),
            sp.GetRequiredService<IOptionsMonitorCache<LoadBalancingOptions>>(),
            sp.GetServices<IOptionsChangeTokenSource<LoadBalancingOptions>>(),
            sp.GetService<IConfiguration>(),
            sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new ServicePoolRegistry(
            sp.GetServices<LoadBalancedServiceRegistration>(),
            sp.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>(),
            new ServicePoolFactory(sp),
            sp.GetService<IConfiguration>()));
        services.TryAddTransient<LoadBalancingHandler>();
        // Every client's handlers are arranged around its balancer (resilience outside, ServiceDiscovery bypassed), and
        // clients with load balancing are checked when the host starts.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, HandlerPlacement>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HandlerPlacementCheck>, HandlerPlacementCheck.Validator>());
        services.AddOptions<HandlerPlacementCheck>().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Makes a custom strategy selectable by name, in code (<see cref="LoadBalancingOptions.Strategy"/>) and in
    /// configuration (<c>LoadBalancing:Services:{service}:Strategy</c>). One instance is created per service.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The name; case-insensitive. A built-in name is replaced.</param>
    /// <param name="factory">Creates the strategy for one service.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddLoadBalancingStrategy(this IServiceCollection services, string name,
        Func<StrategyContext, ILoadBalancingStrategy> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        services.AddSingleton(new StrategyRegistration(name, factory));
        return services.AddLoadBalancing();
    }

    internal static void ValidateServiceName(string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        if (Uri.CheckHostName(serviceName) != UriHostNameType.Dns)
        {
            throw new ArgumentException(
                $"'{serviceName}' is not a valid logical service name: use a host name such as 'catalog' so that http://{serviceName}/ is a valid URI.",
                nameof(serviceName));
        }
    }

    /// <summary>Applies configuration when it is registered; without an IConfiguration, does nothing.</summary>
    private sealed class ConfigureFromConfiguration(IServiceProvider services) : IConfigureNamedOptions<LoadBalancingOptions>
    {
        public void Configure(LoadBalancingOptions options) => Configure(Options.Options.DefaultName, options);

        public void Configure(string? name, LoadBalancingOptions options)
        {
            // A registry that reads the Services section (Microsoft.Extensions.ServiceDiscovery's resolver) replaces
            // Loadstone's own reader of it, and brings its scheme semantics as the default (configuration may override).
            var registryReadsServices = services.GetServices<IEndpointRegistry>().Any(r => r.ReadsServicesSection);
            options.MatchRequestScheme = registryReadsServices;
            if (services.GetService<IConfiguration>() is { } configuration)
            {
                new LoadBalancingConfiguration(configuration, readServicesSection: !registryReadsServices).Configure(name, options);
            }

            if (!string.IsNullOrEmpty(name))
            {
                options.ConfigurationProblems.AddRange(services.GetRequiredService<EndpointSourceCatalog>().For(name).Problems);
            }
        }
    }
}
