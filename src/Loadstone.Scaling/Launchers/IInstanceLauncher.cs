namespace Loadstone.Scaling;

/// <summary>
/// Starts and stops one instance of a service: the launch template of a <see cref="ScalingGroup"/>. The group decides
/// when and where; the launcher decides what. Implement it to drive processes, containers, Kubernetes or cloud VMs.
/// </summary>
/// <remarks>
/// The group calls <see cref="LaunchAsync"/> and <see cref="StopAsync"/> concurrently for different instances, never
/// twice for the same one, and calls <see cref="GetStatus"/> on its reconcile timer (keep it cheap and non-blocking).
/// A launch that throws is recorded as a failed activity and retried after <see cref="ScalingGroupOptions.LaunchRetryDelay"/>.
/// </remarks>
public interface IInstanceLauncher
{
    /// <summary>
    /// The version of what this launcher starts now, like an EC2 launch template version. Instances remember the
    /// version they were launched with; <see cref="TerminationPolicy.OldestLaunchTemplate"/> prefers lower versions.
    /// </summary>
    int LaunchTemplateVersion { get; }

    /// <summary>
    /// Starts one instance in <paramref name="zone"/> and returns once it is ready to take traffic.
    /// </summary>
    /// <param name="zone">The availability zone the group chose, or <see langword="null"/> when the group has none.</param>
    /// <param name="cancellationToken">Cancelled when the group is disposed.</param>
    /// <returns>The instance, with the endpoint the balancer will route to.</returns>
    ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken);

    /// <summary>Stops an instance this launcher started: the attached pool has drained it, or the group is being disposed.</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="cancellationToken">Cancelled when the group gives up waiting.</param>
    ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken);

    /// <summary>The launcher's own view of an instance's health, like EC2 instance status checks.</summary>
    /// <param name="instance">The instance.</param>
    InstanceStatus GetStatus(LaunchedInstance instance);
}
