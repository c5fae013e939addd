using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;

namespace Loadstone.ServiceDiscovery;

/// <summary>
/// Microsoft.Extensions.ServiceDiscovery's resolver as Loadstone's registry: one <see cref="ServiceDiscoveryEndpointSource"/>
/// per load-balanced service. Owns its sources and stops them when the container is disposed.
/// </summary>
internal sealed class ServiceDiscoveryEndpointRegistry(
    ServiceEndpointResolver resolver,
    IEnumerable<IServiceEndpointProviderFactory> providers,
    IOptions<ServiceDiscoveryLoadBalancingOptions> options,
    IOptions<ServiceDiscoveryOptions> serviceDiscoveryOptions,
    IOptions<ConfigurationServiceEndpointProviderOptions> configurationOptions,
    ILoggerFactory? loggerFactory = null,
    IConfiguration? configuration = null,
    TimeProvider? timeProvider = null) : IEndpointRegistry, IDisposable
{
    private const string ConfigurationProviderType = "Microsoft.Extensions.ServiceDiscovery.Configuration.ConfigurationServiceEndpointProviderFactory";
    private readonly List<ServiceDiscoveryEndpointSource> _sources = [];
    private readonly Lock _gate = new();

    public string Name => "ServiceDiscovery";

    /// <summary>With ServiceDiscovery's configuration provider registered, it reads the <c>Services</c> section.</summary>
    public bool ReadsServicesSection { get; } = providers.Any(p => p.GetType().FullName == ConfigurationProviderType);

    public IEndpointSource? CreateSource(string serviceName)
    {
        var source = new ServiceDiscoveryEndpointSource(serviceName, resolver, options.Value, serviceDiscoveryOptions.Value,
            ReadsServicesSection ? configuration : null, configurationOptions.Value.SectionName,
            timeProvider ?? TimeProvider.System, loggerFactory?.CreateLogger("Loadstone.ServiceDiscovery") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        lock (_gate)
        {
            _sources.Add(source);
        }

        return source;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var source in _sources)
            {
                source.Dispose();
            }

            _sources.Clear();
        }
    }
}
