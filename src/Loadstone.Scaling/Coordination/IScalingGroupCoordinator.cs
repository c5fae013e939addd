using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>
/// Coordinates the copies of one scaling group that run in a fleet of clients: elects the one copy that acts (the
/// leader), keeps the group's state durable so that the next leader resumes from it, and fences writes so that a
/// deposed leader can never change the state. Loadstone.Scaling.Etcd implements it with etcd (leases, an election, and
/// transactions conditioned on the leader's key).
/// </summary>
/// <remarks>
/// <para>
/// Only the leader evaluates policies, schedules, health replacement and instance refresh, and launches or stops
/// instances. It writes every change of state through <see cref="WriteStateAsync"/> before it acts on it (launches,
/// stops, events), so an action is never lost or repeated by a failover: the next leader finds the decision in the
/// state and completes it (an instance being launched is looked for, not launched again). The other copies show the
/// committed state (<see cref="ScalingGroup.Instances"/>, <see cref="ScalingGroup.DesiredCapacity"/>,
/// <see cref="ScalingGroup.Activities"/>) and refuse operations.
/// </para>
/// <para>The group calls <see cref="StartAsync"/> when it starts and <see cref="StopAsync"/> when it is disposed.</para>
/// </remarks>
public interface IScalingGroupCoordinator
{
    /// <summary>A short description for logs and errors, e.g. <c>etcd:/loadstone/scaling/catalog/</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether this copy is the leader now. It becomes <see langword="false"/> before another copy can become the leader
    /// (for etcd: before this copy's lease can have expired), so two copies never act at once.
    /// </summary>
    bool IsLeader { get; }

    /// <summary>
    /// Identifies this copy's current leadership, unique and increasing across the fleet (for etcd: the create revision
    /// of its election key); 0 while not the leader. A new term means the state must be read again.
    /// </summary>
    long Term { get; }

    /// <summary>
    /// Where the balancers find the group's instances when the instances register themselves (the group then publishes
    /// nothing and <see cref="ScalingGroup.EndpointSource"/> is this source), or <see langword="null"/> when the group
    /// publishes its in-service instances itself.
    /// </summary>
    IEndpointSource? InstanceEndpoints { get; }

    /// <summary>A token that fires when <see cref="IsLeader"/> or <see cref="Term"/> changes, or when the committed state changes.</summary>
    IChangeToken GetChangeToken();

    /// <summary>Starts campaigning for leadership (and watching the state).</summary>
    /// <param name="cancellationToken">Stops the start.</param>
    ValueTask StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops campaigning and gives leadership up at once, so another copy takes over without waiting for a lease to expire.</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    ValueTask StopAsync(CancellationToken cancellationToken);

    /// <summary>The committed state: every document by key. Empty for a group that never committed any.</summary>
    /// <param name="cancellationToken">Stops the read.</param>
    ValueTask<IReadOnlyDictionary<string, ReadOnlyMemory<byte>>> ReadStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits changes to the state, in one step, if and only if this copy is still the leader of term
    /// <paramref name="term"/>.
    /// </summary>
    /// <param name="term">The term the changes were decided in.</param>
    /// <param name="changes">The documents to write or delete.</param>
    /// <param name="cancellationToken">Stops the write (its outcome is then unknown: read the state again).</param>
    /// <returns><see langword="true"/> when committed; <see langword="false"/> when this copy is not that term's leader (nothing was written).</returns>
    /// <exception cref="Exception">The store could not be reached; the group tries again while it is the leader.</exception>
    ValueTask<bool> WriteStateAsync(long term, IReadOnlyList<ScalingStateChange> changes, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a terminating instance out of <see cref="InstanceEndpoints"/> (deregisters it) so that balancers stop
    /// sending it requests and drain it. Called by the leader, after the termination is committed.
    /// </summary>
    /// <param name="instance">The instance.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask DeregisterAsync(ScalingInstance instance, CancellationToken cancellationToken);
}
