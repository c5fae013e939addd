namespace Loadstone.Tests;

/// <summary>
/// A pool made without a container, as a test gathers it: its settings (<see cref="Options"/>) and what it runs with
/// (a clock, a seeded random source, endpoint sources, a strategy built in code, a probe handler), then
/// <see cref="Create"/>. Each property left alone keeps the library's default.
/// </summary>
internal sealed class PoolSetup
{
    public LoadBalancingOptions Options { get; init; } = new();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A seeded source makes picks repeat exactly; only for pools whose picks are not concurrent.</summary>
    public Random? Random { get; set; }

    public List<IEndpointSource> Sources { get; } = [];

    public Func<StrategyContext, ILoadBalancingStrategy>? Strategy { get; set; }

    public Func<HttpMessageHandler>? ProbeHandler { get; set; }

    public IActiveHealthCheck? ActiveHealthCheck { get; set; }

    /// <summary>Creates the pool; its options are validated here, as by the library.</summary>
    public ServicePool Create(string serviceName) => new(serviceName, Options, new ServicePoolDependencies
    {
        TimeProvider = Time,
        Random = Random,
        EndpointSources = [.. Sources],
        StrategyFactory = Strategy,
        ProbeHandlerFactory = ProbeHandler,
        ActiveHealthCheck = ActiveHealthCheck,
    });
}
