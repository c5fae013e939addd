using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// What a service's builder sets besides its settings (<c>UseStrategy</c>, <c>UseRandom</c>, <c>UseProbeHandler</c>,
/// <c>UseActiveHealthCheck</c>),
/// kept as named options of the service.
/// </summary>
internal sealed class ServicePoolSetup
{
    public Random? Random { get; set; }

    public Func<StrategyContext, ILoadBalancingStrategy>? StrategyFactory { get; set; }

    public Func<IServiceProvider, HttpMessageHandler>? ProbeHandlerFactory { get; set; }

    public Func<IServiceProvider, IActiveHealthCheck>? ActiveHealthCheckFactory { get; set; }
    public Func<IServiceProvider, IPeerCoordinateSource>? PeerCoordinates { get; set; }
}

/// <summary>
/// Creates the pools of a container: each service's settings from the options system, and its dependencies from the
/// container (clock, logs, meter factory), its endpoint sources and its builder's setup.
/// </summary>
internal sealed class ServicePoolFactory(IServiceProvider services)
{
    private readonly StrategyCatalog _strategies = services.GetRequiredService<StrategyCatalog>();
    private readonly IOptionsMonitor<LoadBalancingOptions> _options = services.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>();

    public ServicePool Create(string serviceName) =>
        new(serviceName, _options.Get(serviceName), Dependencies(services, serviceName), _strategies);

    /// <summary>What validation needs to know of a service besides its settings.</summary>
    public static ServiceFacts Facts(IServiceProvider services, string serviceName) => new(
        services.GetRequiredService<EndpointSourceCatalog>().For(serviceName).Sources.Count > 0,
        Setup(services, serviceName).StrategyFactory is not null,
        Setup(services, serviceName).PeerCoordinates is not null);

    private static ServicePoolDependencies Dependencies(IServiceProvider services, string serviceName)
    {
        var setup = Setup(services, serviceName);
        var probeHandler = setup.ProbeHandlerFactory;
        return new ServicePoolDependencies
        {
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            Random = setup.Random,
            LoggerFactory = services.GetService<ILoggerFactory>(),
            MeterFactory = services.GetService<IMeterFactory>(),
            EndpointSources = services.GetRequiredService<EndpointSourceCatalog>().For(serviceName).Sources,
            StrategyFactory = setup.StrategyFactory,
            ProbeHandlerFactory = probeHandler is null ? null : () => probeHandler(services),
            ActiveHealthCheck = setup.ActiveHealthCheckFactory?.Invoke(services),
            PeerCoordinates = setup.PeerCoordinates?.Invoke(services),
        };
    }

    private static ServicePoolSetup Setup(IServiceProvider services, string serviceName) =>
        services.GetRequiredService<IOptionsMonitor<ServicePoolSetup>>().Get(serviceName);
}
