using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// What a <see cref="ScalingGroup"/> runs with besides its settings (<see cref="ScalingGroupOptions"/>) and its launcher:
/// the clock, the random source, logs and metrics, the balancer's health view, and, for a group shared by a fleet of
/// clients, the coordinator and the fleet's metrics. With a container these come from the container
/// (<see cref="System.TimeProvider"/>, <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/>) and from the group's
/// builder (<c>AddScalingGroup(...).UseRandom(...)</c>, <c>UseLoadBalancerHealth</c>, <c>UseCoordinator</c>).
/// </summary>
public sealed class ScalingGroupDependencies
{
    /// <summary>
    /// The clock of the reconcile timer, cooldowns, lifecycle hook timeouts, warmup, alarms and schedules. The default is
    /// <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The random source of termination ties. The default, <see langword="null"/>, uses <see cref="System.Random.Shared"/>;
    /// a seeded one makes choices reproducible (the group uses it under its own lock only).
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>Where logs go. The default, <see langword="null"/>, logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Creates the meter of the group's metrics (the container's <see cref="IMeterFactory"/>). The default,
    /// <see langword="null"/>, uses a meter shared by every group of the process created without a factory.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// The balancer's view of an instance's health (<see langword="false"/>: unhealthy; <see langword="null"/>: unknown,
    /// treated as healthy), consulted after the health check grace period in addition to the launcher's status, like
    /// health check type ELB. The default, <see langword="null"/>, uses the launcher's status only (and the attached
    /// pool's health when <see cref="ScalingGroup.AttachPool"/> is asked to).
    /// </summary>
    public Func<ScalingInstance, bool?>? LoadBalancerHealth { get; init; }

    /// <summary>
    /// Where the built-in metrics (in-flight requests, request rate, latency) and the end of draining are read. The
    /// default, <see langword="null"/>, reads the pool given to <see cref="ScalingGroup.AttachPool"/>: this client's
    /// view. A group shared by a fleet of clients reads the fleet's figures instead (e.g. a
    /// <see cref="FleetLoadAggregator"/> fed with every client's reports).
    /// </summary>
    public IScalingMetricsSource? MetricsSource { get; init; }

    /// <summary>
    /// Makes this group one copy of a group shared by a fleet of clients: only the copy the coordinator elects acts, its
    /// state is kept by the coordinator, and a copy elected later resumes from it. The default, <see langword="null"/>,
    /// is a group of its own in this process (state in memory, always acting). See <see cref="IScalingGroupCoordinator"/>.
    /// </summary>
    public IScalingGroupCoordinator? Coordinator { get; init; }
}
