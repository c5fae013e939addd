using System.Collections.Concurrent;

namespace Loadstone.Scaling;

/// <summary>
/// A launcher that starts nothing: each launch returns a made-up endpoint at once. For tests, simulations and
/// demos; instances' status and failures are set by hand. Its instances outlive any group that uses it
/// (<see cref="IDurableInstanceLauncher"/>), so several copies of a coordinated group in one process can share it.
/// </summary>
/// <remarks>Endpoints are <c>http://{zone or "instance"}-{n}.invalid:8080</c>, so nothing can actually be called.</remarks>
public sealed class InMemoryInstanceLauncher : IDurableInstanceLauncher
{
    private readonly ConcurrentDictionary<string, LaunchedInstance> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LaunchedInstance> _byGroupId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _launchesByGroupId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InstanceStatus> _status = new(StringComparer.Ordinal);
    private int _sequence;
    private int _failures;
    private int _failuresSoFar;
    private int _stopped;
    private int _launchTemplateVersion = 1;

    /// <summary>The version launched from now on; change it to simulate a new launch template version. The default is 1.</summary>
    public int LaunchTemplateVersion
    {
        get => Volatile.Read(ref _launchTemplateVersion);
        set => Volatile.Write(ref _launchTemplateVersion, value);
    }

    /// <summary>The instances launched and not stopped.</summary>
    public IReadOnlyCollection<LaunchedInstance> Running => [.. _running.Values.OrderBy(i => i.Id, StringComparer.Ordinal)];

    /// <summary>How many launches succeeded so far.</summary>
    public int LaunchCount => Volatile.Read(ref _sequence) - Volatile.Read(ref _failuresSoFar);

    /// <summary>How many stops were made so far.</summary>
    public int StopCount => Volatile.Read(ref _stopped);

    /// <summary>How many launches (successful or not) were made for a group's instance id (the id-carrying overload).</summary>
    /// <param name="instanceId">The group's id of the instance.</param>
    public int LaunchesOf(string instanceId) => _launchesByGroupId.GetValueOrDefault(instanceId);

    /// <summary>Makes the next <paramref name="count"/> launches throw.</summary>
    /// <param name="count">How many; at least 0.</param>
    public void FailNextLaunches(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Volatile.Write(ref _failures, count);
    }

    /// <summary>Sets the status <see cref="GetStatus"/> reports for an instance.</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="status">Its status.</param>
    public void SetStatus(LaunchedInstance instance, InstanceStatus status)
    {
        ArgumentNullException.ThrowIfNull(instance);
        _status[instance.Id] = status;
    }

    /// <inheritdoc />
    public ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var n = Interlocked.Increment(ref _sequence);
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            Interlocked.Increment(ref _failuresSoFar);
            throw new InvalidOperationException($"Simulated launch failure #{n}.");
        }

        Interlocked.Exchange(ref _failures, 0);
        var id = $"mem-{n}";
        var endpoint = new LoadBalancedEndpoint($"http://{zone ?? "instance"}-{n}.invalid:8080", zone);
        var instance = new LaunchedInstance(id, endpoint, zone, LaunchTemplateVersion);
        _running[id] = instance;
        return new ValueTask<LaunchedInstance>(instance);
    }

    /// <inheritdoc />
    public async ValueTask<LaunchedInstance> LaunchAsync(string instanceId, string? zone, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        _launchesByGroupId.AddOrUpdate(instanceId, 1, (_, n) => n + 1);
        var instance = await LaunchAsync(zone, cancellationToken).ConfigureAwait(false);
        _byGroupId[instanceId] = instance;
        return instance;
    }

    /// <inheritdoc />
    /// <remarks>Finds the instance launched for <paramref name="instanceId"/>, or <see langword="null"/> at once when there is none.</remarks>
    public ValueTask<LaunchedInstance?> ResumeLaunchAsync(string instanceId, string? zone, DateTimeOffset launchStartedAt, CancellationToken cancellationToken) =>
        new(_byGroupId.TryGetValue(instanceId, out var instance) && _running.ContainsKey(instance.Id) ? instance : null);

    /// <inheritdoc />
    public LaunchedInstance Reattach(LaunchedInstance recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return _running.TryGetValue(recorded.Id, out var running) ? running : recorded;
    }

    /// <inheritdoc />
    public ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (_running.TryRemove(instance.Id, out _))
        {
            Interlocked.Increment(ref _stopped);
        }

        _status[instance.Id] = InstanceStatus.Stopped;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public InstanceStatus GetStatus(LaunchedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return _status.TryGetValue(instance.Id, out var status) ? status : InstanceStatus.Running;
    }
}
