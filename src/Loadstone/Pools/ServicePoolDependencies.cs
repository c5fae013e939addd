using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Loadstone;

/// <summary>
/// What a pool created without a container runs with besides its settings: the clock, the random source, logs and
/// metrics, endpoint sources, a strategy built in code and the handler of health probes. With a container these come
/// from the container (<see cref="System.TimeProvider"/>, <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/>) and
/// from the service's builder (<c>AddLoadBalancedService(...).AddEndpointSource(...)</c>, <c>UseStrategy</c>,
/// <c>UseRandom</c>, <c>UseProbeHandler</c>).
/// </summary>
public sealed class ServicePoolDependencies
{
    /// <summary>The clock of latency and every timer of the pool. The default is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The random source of randomised strategies and zone draws. The default, <see langword="null"/>, uses
    /// <see cref="System.Random.Shared"/>. A seeded <see cref="System.Random"/> makes picks reproducible but is not
    /// thread-safe: use one only where picks are not concurrent (tests, simulations).
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>Where logs go. The default, <see langword="null"/>, logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Creates the <c>Loadstone</c> meter. The default, <see langword="null"/>, uses one meter shared by every pool
    /// created without a factory in the process.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Sources of endpoints (a registry, DNS, a scaling group), watched for the pool's lifetime; a bad update from one keeps
    /// that source's last good set. Their endpoints come after <see cref="LoadBalancingOptions.Endpoints"/>. Empty by default.
    /// </summary>
    public IReadOnlyList<IEndpointSource> EndpointSources { get; init; } = [];

    /// <summary>
    /// Builds the strategy in code, instead of choosing it by <see cref="LoadBalancingOptions.Strategy"/>. The default,
    /// <see langword="null"/>, chooses by name.
    /// </summary>
    public Func<StrategyContext, ILoadBalancingStrategy>? StrategyFactory { get; init; }

    /// <summary>
    /// Supplies this client's peer coordinate for subsetting (a peer registry), instead of
    /// <see cref="SubsettingOptions.ClientIndex"/> and <see cref="SubsettingOptions.ClientCount"/>. The default,
    /// <see langword="null"/>, uses those settings.
    /// </summary>
    public IPeerCoordinateSource? PeerCoordinates { get; init; }

    /// <summary>
    /// Builds the handler health probes are sent with (to set TLS options, say). The default, <see langword="null"/>, uses
    /// a <see cref="SocketsHttpHandler"/> that never follows redirects. Called when probing starts; the pool disposes the
    /// handler when probing stops, so return a new one on each call.
    /// </summary>
    public Func<HttpMessageHandler>? ProbeHandlerFactory { get; init; }

    /// <summary>
    /// What active health checks send and how they judge the answer. The default, <see langword="null"/>, sends an HTTP
    /// GET to <see cref="ActiveHealthCheckOptions.Path"/> and matches the status code.
    /// </summary>
    public IActiveHealthCheck? ActiveHealthCheck { get; init; }
}
