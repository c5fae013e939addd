namespace Loadstone.Scaling;

/// <summary>
/// How <c>AddScalingGroup</c> builds and runs a <see cref="ScalingGroup"/> in a container: the group's settings, whether
/// the balancer's health counts, and whether host start-up waits for the first instances. Settings only: the launcher
/// and other runtime services are given through the group's builder (<c>UseLauncher</c>, <c>UseRandom</c>,
/// <c>UseLoadBalancerHealth</c>, <c>UseCoordinator</c>) or come from the container (clock, logs, meter factory).
/// </summary>
public sealed class ScalingGroupRegistrationOptions
{
    /// <summary>The group's settings: sizes, zones, policies, hooks.</summary>
    public ScalingGroupOptions Group { get; } = new();

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
        if (WaitForCapacityTimeout < TimeSpan.Zero || WaitForCapacityTimeout > ScalingGroupLimits.MaxWaitForCapacityTimeout)
        {
            problems.Add($"Scaling group '{serviceName}': WaitForCapacityTimeout ({WaitForCapacityTimeout}) must be between {TimeSpan.Zero} and {ScalingGroupLimits.MaxWaitForCapacityTimeout}.");
        }

        return problems;
    }
}
