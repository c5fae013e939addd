using System.Diagnostics.Metrics;
using Loadstone;
using Loadstone.Scaling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers scaling groups that feed a load-balanced service and run with the host.</summary>
public static class ScalingGroupServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ScalingGroup"/> for a logical service: <c>services.AddLoadBalancedService(serviceName)</c>
    /// followed by <see cref="AddScalingGroup(ILoadBalancedServiceBuilder, Action{ScalingGroupRegistrationOptions})"/>.
    /// Give it its launcher with <see cref="ScalingGroupBuilderExtensions.UseLauncher"/> on the builder returned.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceName">The logical service name the group feeds, e.g. <c>catalog</c>; a valid host name.</param>
    /// <param name="configure">Sets the group's settings and how it runs with the host.</param>
    /// <returns>The group's builder.</returns>
    public static IScalingGroupBuilder AddScalingGroup(this IServiceCollection services, string serviceName,
        Action<ScalingGroupRegistrationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddLoadBalancedService(serviceName).AddScalingGroup(configure);
    }

    /// <summary>
    /// Registers a <see cref="ScalingGroup"/> that feeds this service: the group's
    /// <see cref="ScalingGroup.EndpointSource"/> becomes one of the service's endpoint sources, the service's pool is
    /// attached to the group (metrics for target tracking, the end of draining, and optionally balancer health), and a
    /// hosted service starts the group with the host and disposes it (stopping its instances) when the host stops.
    /// </summary>
    /// <remarks>
    /// The group is a keyed singleton: resolve it with <c>GetRequiredKeyedService&lt;ScalingGroup&gt;(serviceName)</c>
    /// to read its instances and activities or to change its capacity; the launcher is a keyed
    /// <see cref="IInstanceLauncher"/> under the same key. Its metrics use the container's <see cref="IMeterFactory"/>
    /// when one is registered. Calling this again for the same service adds to the configuration; the group is still
    /// registered once. Without a host, resolve the group and call <see cref="ScalingGroup.AttachPool"/> and
    /// <see cref="ScalingGroup.Start"/> yourself.
    /// </remarks>
    /// <param name="builder">The service's builder, from <c>AddLoadBalancedService</c>.</param>
    /// <param name="configure">Sets the group's settings and how it runs with the host.</param>
    /// <returns>The group's builder (also the service's): give it the launcher with <see cref="ScalingGroupBuilderExtensions.UseLauncher"/>.</returns>
    public static IScalingGroupBuilder AddScalingGroup(this ILoadBalancedServiceBuilder builder, Action<ScalingGroupRegistrationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        var serviceName = builder.ServiceName;
        var groupBuilder = new ScalingGroupBuilder(serviceName, services);
        services.AddOptions<ScalingGroupRegistrationOptions>(serviceName).Configure(configure);
        if (services.Any(d => d.ImplementationInstance is ScalingGroupRegistration r
            && string.Equals(r.ServiceName, serviceName, StringComparison.OrdinalIgnoreCase)))
        {
            return groupBuilder;
        }

        services.AddSingleton(new ScalingGroupRegistration(serviceName));
        services.AddOptions<ScalingGroupRegistrationOptions>(serviceName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ScalingGroupRegistrationOptions>, RegistrationValidator>());
        services.TryAddSingleton(sp => ScalingMetrics.For(sp.GetService<IMeterFactory>()));

        services.AddKeyedSingleton<IInstanceLauncher>(serviceName, (sp, _) =>
            (Setup(sp, serviceName).Launcher ?? throw new InvalidOperationException(NoLauncher(serviceName)))(sp)
            ?? throw new InvalidOperationException($"The launcher factory of scaling group '{serviceName}' (UseLauncher) returned null."));
        services.AddKeyedSingleton(serviceName, (sp, _) =>
        {
            var setup = Setup(sp, serviceName);
            var dependencies = new ScalingGroupDependencies
            {
                TimeProvider = sp.GetService<TimeProvider>() ?? TimeProvider.System,
                Random = setup.Random,
                LoggerFactory = sp.GetService<ILoggerFactory>(),
                MeterFactory = sp.GetService<IMeterFactory>(),
                LoadBalancerHealth = setup.LoadBalancerHealth,
                MetricsSource = setup.MetricsSource?.Invoke(sp),
                Coordinator = setup.Coordinator?.Invoke(sp),
            };
            return new ScalingGroup(serviceName, Registration(sp, serviceName).Group, sp.GetRequiredKeyedService<IInstanceLauncher>(serviceName),
                dependencies, sp.GetRequiredService<ScalingMetrics>());
        });
        builder.AddEndpointSource(sp => sp.GetRequiredKeyedService<ScalingGroup>(serviceName).EndpointSource);

        services.AddSingleton<IHostedService>(sp => new ScalingGroupHostedService(
            serviceName,
            sp.GetRequiredKeyedService<ScalingGroup>(serviceName),
            sp.GetRequiredService<ServicePoolRegistry>(),
            Registration(sp, serviceName)));
        return groupBuilder;
    }

    private static ScalingGroupRegistrationOptions Registration(IServiceProvider services, string serviceName) =>
        services.GetRequiredService<IOptionsMonitor<ScalingGroupRegistrationOptions>>().Get(serviceName);

    private static ScalingGroupSetup Setup(IServiceProvider services, string serviceName) =>
        services.GetRequiredService<IOptionsMonitor<ScalingGroupSetup>>().Get(serviceName);

    private static string NoLauncher(string serviceName) =>
        $"Scaling group '{serviceName}' has no launcher; give it one with UseLauncher on the builder AddScalingGroup returns (AddScalingGroup(...).UseLauncher(sp => ...)).";

    /// <summary>Marks a service whose group is registered, so a second call only adds configuration.</summary>
    private sealed record ScalingGroupRegistration(string ServiceName);

    /// <summary>Every problem of a registration at once, each naming its setting; a group without a launcher is one.</summary>
    private sealed class RegistrationValidator(IOptionsMonitor<ScalingGroupSetup> setups) : IValidateOptions<ScalingGroupRegistrationOptions>
    {
        public ValidateOptionsResult Validate(string? name, ScalingGroupRegistrationOptions options)
        {
            var serviceName = name ?? Options.Options.DefaultName;
            var problems = options.Problems(serviceName);
            if (setups.Get(serviceName).Launcher is null)
            {
                problems.Add(NoLauncher(serviceName));
            }

            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
