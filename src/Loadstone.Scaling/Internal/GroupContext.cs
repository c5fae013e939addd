using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// What the parts of a group share: its settings, launcher, clock, instances, capacity, activity log, suspended
/// processes and attached pool. Read and written under the group's lock (<see cref="ChangeRunner.Gate"/>), except
/// the immutable members.
/// </summary>
internal sealed class GroupContext
{
    public GroupContext(string name, ScalingGroupOptions options, IInstanceLauncher launcher, ILogger logger, ChangeRunner runner,
        ActivityLog activities, CancellationToken disposed)
    {
        Name = name;
        Options = options;
        Launcher = launcher;
        Logger = logger;
        Runner = runner;
        Activities = activities;
        Disposed = disposed;
        Time = options.TimeProvider ?? TimeProvider.System;
        Random = options.Random ?? Random.Shared;
        Capacity = new GroupCapacity(options, activities, Time.GetUtcNow());
    }

    public string Name { get; }

    public ScalingGroupOptions Options { get; }

    public IInstanceLauncher Launcher { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public Random Random { get; }

    public ChangeRunner Runner { get; }

    public ActivityLog Activities { get; }

    public GroupCapacity Capacity { get; }

    /// <summary>Cancelled when the group is disposed: in-flight launcher calls see it.</summary>
    public CancellationToken Disposed { get; }

    /// <summary>Every instance but the terminated ones, in launch order.</summary>
    public List<ScalingInstance> Instances { get; } = [];

    public ScalingProcesses Suspended { get; set; }

    /// <summary>The pool the group feeds, once attached.</summary>
    public AttachedPool? Pool { get; set; }

    /// <summary>Instances taken out of service to be replaced whose replacement launch has not started yet.</summary>
    public int ReplacementsOwed { get; set; }

    /// <summary>Whether any of <paramref name="processes"/> is suspended.</summary>
    public bool IsSuspended(ScalingProcesses processes) => (Suspended & processes) != 0;

    public bool IsWarming(ScalingInstance instance, DateTimeOffset now) => instance.IsWarming(now, Options.InstanceWarmup);

    public ScalingInstance? Find(string instanceId) => Instances.FirstOrDefault(i => i.Id == instanceId);

    public int Count(ScalingInstanceState state) => Instances.Count(i => i.State == state);
}
