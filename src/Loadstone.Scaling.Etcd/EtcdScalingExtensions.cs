using Loadstone;
using Loadstone.Scaling;
using Loadstone.Scaling.Etcd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Shares a registered scaling group among a fleet of clients through etcd.</summary>
public static class EtcdScalingExtensions
{
    /// <summary>
    /// Makes this client's copy of the group one of a fleet coordinated through etcd (<see cref="EtcdScalingCoordinator"/>):
    /// the copies elect one leader, which alone acts; the group's state lives in etcd; this client's pool publishes its
    /// load every <see cref="EtcdScalingOptions.ReportInterval"/> and the leader scales on the fleet's sum; the pool's
    /// endpoints are the instances' own registrations under <c>{Prefix}instances/</c>. Give the group a launcher whose
    /// instances outlive the client (<see cref="UseDetachedProcessLauncher"/>, or your own <see cref="IDurableInstanceLauncher"/>).
    /// </summary>
    /// <param name="builder">The group's builder, from <c>AddScalingGroup</c>.</param>
    /// <param name="configure">Sets the options; <see cref="EtcdScalingOptions.Endpoints"/> and <see cref="EtcdScalingOptions.Prefix"/> are required.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// The coordinator is a keyed singleton under the service's name. It runs on the container's <see cref="TimeProvider"/>
    /// (if one is registered), which must run at the speed of the wall clock: etcd's leases do.
    /// </remarks>
    public static IScalingGroupBuilder UseEtcdCoordination(this IScalingGroupBuilder builder, Action<EtcdScalingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var serviceName = builder.ServiceName;
        builder.Services.AddKeyedSingleton(serviceName, (sp, _) =>
        {
            var options = new EtcdScalingOptions();
            configure(options);
            return new EtcdScalingCoordinator(serviceName, options, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>());
        });
        builder.UseCoordinator(sp => sp.GetRequiredKeyedService<EtcdScalingCoordinator>(serviceName));
        builder.UseMetricsSource(sp => sp.GetRequiredKeyedService<EtcdScalingCoordinator>(serviceName).FleetLoad);
        builder.Services.AddSingleton<IHostedService>(sp => new EtcdLoadReportingService(
            sp.GetRequiredKeyedService<EtcdScalingCoordinator>(serviceName), sp.GetRequiredService<ServicePoolRegistry>(), serviceName));
        return builder;
    }

    /// <summary>
    /// Sets the group's launcher to a <see cref="DetachedProcessLauncher"/>: each instance a detached process that
    /// registers itself in etcd under the group's instances prefix. Needs <see cref="UseEtcdCoordination"/>.
    /// </summary>
    /// <param name="builder">The group's builder.</param>
    /// <param name="configure">Sets what to run; <see cref="DetachedProcessLauncherOptions.FileName"/> is required.</param>
    /// <returns>The builder.</returns>
    public static IScalingGroupBuilder UseDetachedProcessLauncher(this IScalingGroupBuilder builder, Action<DetachedProcessLauncherOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var serviceName = builder.ServiceName;
        return builder.UseLauncher(sp =>
        {
            var coordinator = sp.GetKeyedService<EtcdScalingCoordinator>(serviceName)
                ?? throw new InvalidOperationException($"Scaling group '{serviceName}': UseDetachedProcessLauncher needs UseEtcdCoordination (its instances register in etcd).");
            var options = new DetachedProcessLauncherOptions();
            configure(options);
            return new DetachedProcessLauncher(options, coordinator, sp.GetService<ILoggerFactory>());
        });
    }
}

/// <summary>Publishes this client's pool's load for the group's leader, from host start until the coordinator is disposed.</summary>
internal sealed class EtcdLoadReportingService(EtcdScalingCoordinator coordinator, ServicePoolRegistry pools, string serviceName) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        coordinator.ReportFrom(pools.GetPool(serviceName));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
