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

    /// <summary>Stops an instance this launcher started; the group has already drained it.</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="cancellationToken">Cancelled when the group gives up waiting.</param>
    ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken);

    /// <summary>The launcher's own view of an instance's health, like EC2 instance status checks.</summary>
    /// <param name="instance">The instance.</param>
    InstanceStatus GetStatus(LaunchedInstance instance);
}

/// <summary>The launcher's own view of an instance, like EC2 status checks.</summary>
public enum InstanceStatus
{
    /// <summary>Running and passing the launcher's checks.</summary>
    Running,

    /// <summary>Running but failing the launcher's checks; unhealthy once the grace period is over.</summary>
    Impaired,

    /// <summary>No longer running (the process exited, the VM was terminated); unhealthy at once, even in the grace period.</summary>
    Stopped,
}

/// <summary>One instance as a launcher started it: its identity, endpoint, zone and launch template version.</summary>
public sealed class LaunchedInstance
{
    /// <summary>Creates the description of a started instance.</summary>
    /// <param name="id">A unique identifier, e.g. a process id or VM id.</param>
    /// <param name="endpoint">Where the instance listens; its zone should match <paramref name="zone"/>.</param>
    /// <param name="zone">The zone the instance runs in, or <see langword="null"/>.</param>
    /// <param name="launchTemplateVersion">The launcher's version that started it.</param>
    /// <param name="handle">Anything the launcher needs to stop it later (a process, a VM id).</param>
    public LaunchedInstance(string id, LoadBalancedEndpoint endpoint, string? zone, int launchTemplateVersion, object? handle = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(endpoint);
        Id = id;
        Endpoint = endpoint;
        Zone = zone;
        LaunchTemplateVersion = launchTemplateVersion;
        Handle = handle;
    }

    /// <summary>The launcher's identifier of the instance.</summary>
    public string Id { get; }

    /// <summary>Where the instance listens.</summary>
    public LoadBalancedEndpoint Endpoint { get; }

    /// <summary>The zone the instance runs in, or <see langword="null"/>.</summary>
    public string? Zone { get; }

    /// <summary>The launch template version that started the instance.</summary>
    public int LaunchTemplateVersion { get; }

    /// <summary>The launcher's private handle; the group never reads it.</summary>
    public object? Handle { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Id} {Endpoint}";
}
