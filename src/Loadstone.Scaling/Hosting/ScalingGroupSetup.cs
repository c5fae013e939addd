namespace Loadstone.Scaling;

/// <summary>
/// What a group's builder sets besides its settings (<c>UseLauncher</c>, <c>UseRandom</c>, <c>UseLoadBalancerHealth</c>,
/// <c>UseMetricsSource</c>, <c>UseCoordinator</c>), kept as named options of the service.
/// </summary>
internal sealed class ScalingGroupSetup
{
    public Func<IServiceProvider, IInstanceLauncher>? Launcher { get; set; }

    public Random? Random { get; set; }

    public Func<ScalingInstance, bool?>? LoadBalancerHealth { get; set; }

    public Func<IServiceProvider, IScalingMetricsSource>? MetricsSource { get; set; }

    public Func<IServiceProvider, IScalingGroupCoordinator>? Coordinator { get; set; }
}

/// <summary>The builder <c>AddScalingGroup</c> returns.</summary>
internal sealed class ScalingGroupBuilder(string serviceName, Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    : Microsoft.Extensions.DependencyInjection.IScalingGroupBuilder
{
    public string ServiceName { get; } = serviceName;

    public Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; } = services;
}
