namespace Loadstone.Scaling;

/// <summary>
/// A launcher whose instances outlive the process that launched them (detached processes, containers, VMs), so that a
/// group shared by a fleet (<see cref="IScalingGroupCoordinator"/>) can hand them from one leader to the next: every
/// launch carries the group's instance id, a launch a previous leader started can be looked for instead of repeated,
/// and a recorded instance can be taken over.
/// </summary>
public interface IDurableInstanceLauncher : IInstanceLauncher
{
    /// <summary>Starts the instance the group named <paramref name="instanceId"/> and returns once it is ready.</summary>
    /// <param name="instanceId">The group's id of the instance (<see cref="ScalingInstance.Id"/>); the instance carries it, so a later leader can find it.</param>
    /// <param name="zone">The availability zone the group chose, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancelled when the group is disposed (the instance, once started, is left running).</param>
    /// <returns>The instance.</returns>
    ValueTask<LaunchedInstance> LaunchAsync(string instanceId, string? zone, CancellationToken cancellationToken);

    /// <summary>
    /// Completes a launch that a previous leader decided and may have started: waits until the instance named
    /// <paramref name="instanceId"/> is ready, for as long as a launch may take counted from
    /// <paramref name="launchStartedAt"/>.
    /// </summary>
    /// <param name="instanceId">The group's id of the instance.</param>
    /// <param name="zone">The zone it was launched in.</param>
    /// <param name="launchStartedAt">When the launch was decided.</param>
    /// <param name="cancellationToken">Cancelled when the group is disposed or loses leadership.</param>
    /// <returns>The instance; <see langword="null"/> when it did not come up in time (the group then records a failed launch and launches again).</returns>
    ValueTask<LaunchedInstance?> ResumeLaunchAsync(string instanceId, string? zone, DateTimeOffset launchStartedAt, CancellationToken cancellationToken);

    /// <summary>Takes over an instance the group recorded (its <see cref="LaunchedInstance.Handle"/> is not recorded).</summary>
    /// <param name="recorded">The instance as recorded: id, endpoint, zone and version.</param>
    /// <returns>The instance this launcher can stop and check (with its own handle, if any).</returns>
    LaunchedInstance Reattach(LaunchedInstance recorded);
}
