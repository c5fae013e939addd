namespace Loadstone.Scaling;

/// <summary>
/// How <c>AddScalingGroup</c> builds and runs a <see cref="ScalingGroup"/> in a container: the group's options, the
/// launcher, whether the balancer's health counts, and whether host start-up waits for the first instances.
/// </summary>
public sealed class ScalingGroupRegistrationOptions
{
    /// <summary>
    /// The group's options: sizes, zones, policies, hooks. When <see cref="ScalingGroupOptions.TimeProvider"/> is
    /// <see langword="null"/>, the container's <see cref="TimeProvider"/> is used if one is registered.
    /// </summary>
    public ScalingGroupOptions Group { get; } = new();

    /// <summary>
    /// Creates the launcher (the launch template) once, when the group is first resolved. Required. The container owns
    /// what it returns and disposes it (if disposable) after the group, when the container is disposed.
    /// </summary>
    public Func<IServiceProvider, IInstanceLauncher>? LauncherFactory { get; set; }

    /// <summary>
    /// Whether an instance whose endpoint the pool reports <see cref="EndpointHealth.Unhealthy"/> (failed active
    /// health checks, or ejected) is replaced, like health check type ELB; passed to <see cref="ScalingGroup.AttachPool"/>.
    /// The default is <see langword="false"/>: the launcher's status only.
    /// </summary>
    public bool UseBalancerHealth { get; set; }

    /// <summary>
    /// How long host start-up waits until the group has its desired capacity in service (and the pool has their
    /// endpoints), like Terraform's <c>wait_for_capacity_timeout</c>; start-up fails with a <see cref="TimeoutException"/>
    /// after that. The default is 0: start-up does not wait, and requests made before the first instance is in service
    /// find no endpoint. The range is 0 to 1 hour, measured on the group's clock.
    /// </summary>
    public TimeSpan WaitForCapacityTimeout { get; set; }

    internal List<string> Problems(string serviceName)
    {
        var problems = ScalingGroupOptionsValidation.Problems(Group, serviceName);
        if (LauncherFactory is null)
        {
            problems.Add($"Scaling group '{serviceName}': LauncherFactory is required (it creates the group's IInstanceLauncher).");
        }

        if (WaitForCapacityTimeout < TimeSpan.Zero || WaitForCapacityTimeout > ScalingGroupLimits.MaxWaitForCapacityTimeout)
        {
            problems.Add($"Scaling group '{serviceName}': WaitForCapacityTimeout ({WaitForCapacityTimeout}) must be between {TimeSpan.Zero} and {ScalingGroupLimits.MaxWaitForCapacityTimeout}.");
        }

        return problems;
    }
}
