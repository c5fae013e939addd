using Loadstone.Scaling;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Gives a registered scaling group what it runs with besides its settings.</summary>
public static class ScalingGroupBuilderExtensions
{
    /// <summary>
    /// Sets the group's launcher (the launch template): what starts and stops its instances. Required. Called once, when
    /// the group is first resolved; the container owns what it returns and disposes it (if disposable) after the group.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="factory">Creates the launcher.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseLauncher(this IScalingGroupBuilder builder, Func<IServiceProvider, IInstanceLauncher> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ScalingGroupSetup>(builder.ServiceName, s => s.Launcher = factory);
        return builder;
    }

    /// <summary>
    /// Gives the group its own random source for termination ties. Without it, the group uses <see cref="Random.Shared"/>;
    /// a seeded <see cref="Random"/> makes its choices reproducible.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="random">The random source.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseRandom(this IScalingGroupBuilder builder, Random random)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(random);
        builder.Services.Configure<ScalingGroupSetup>(builder.ServiceName, s => s.Random = random);
        return builder;
    }

    /// <summary>
    /// Adds a view of each instance's health from the balancer or elsewhere (<see langword="false"/>: unhealthy;
    /// <see langword="null"/>: unknown), consulted after the grace period, like health check type ELB. See
    /// <see cref="ScalingGroupDependencies.LoadBalancerHealth"/>.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="health">Returns an instance's health.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseLoadBalancerHealth(this IScalingGroupBuilder builder, Func<ScalingInstance, bool?> health)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(health);
        builder.Services.Configure<ScalingGroupSetup>(builder.ServiceName, s => s.LoadBalancerHealth = health);
        return builder;
    }

    /// <summary>
    /// Reads the built-in metrics and the end of draining from a source other than this client's pool (the fleet's
    /// figures). See <see cref="ScalingGroupDependencies.MetricsSource"/>.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="factory">Creates the source; called once, when the group is first resolved.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseMetricsSource(this IScalingGroupBuilder builder, Func<IServiceProvider, IScalingMetricsSource> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ScalingGroupSetup>(builder.ServiceName, s => s.MetricsSource = factory);
        return builder;
    }

    /// <summary>
    /// Makes the group one copy of a group shared by a fleet of clients, coordinated by <paramref name="factory"/>'s
    /// coordinator (e.g. <c>UseEtcdCoordination</c> of the Loadstone.Scaling.Etcd package). The launcher must then be an
    /// <see cref="IDurableInstanceLauncher"/>. See <see cref="IScalingGroupCoordinator"/>.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="factory">Creates the coordinator; called once, when the group is first resolved.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseCoordinator(this IScalingGroupBuilder builder, Func<IServiceProvider, IScalingGroupCoordinator> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Configure<ScalingGroupSetup>(builder.ServiceName, s => s.Coordinator = factory);
        return builder;
    }
}
