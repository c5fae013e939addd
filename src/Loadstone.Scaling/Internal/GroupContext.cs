using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// What the parts of a group share: its settings, launcher, clock, instances, capacity, activity log, suspended
/// processes and attached pool. Read and written under the group's lock (<see cref="ChangeRunner.Gate"/>), except
/// the immutable members.
/// </summary>
internal sealed class GroupContext
{
    public GroupContext(string name, ScalingGroupOptions options, IInstanceLauncher launcher, ScalingGroupDependencies dependencies,
        ILogger logger, ChangeRunner runner, ActivityLog activities, CancellationToken disposed)
    {
        Name = name;
        Options = options;
        Launcher = launcher;
        Logger = logger;
        Runner = runner;
        Activities = activities;
        Disposed = disposed;
        Time = dependencies.TimeProvider;
        Random = dependencies.Random ?? Random.Shared;
        LoadBalancerHealth = dependencies.LoadBalancerHealth;
        Capacity = new GroupCapacity(options, activities, Time.GetUtcNow());
        Metrics = dependencies.MetricsSource ?? new PoolMetricsSource(this);
        Coordinator = dependencies.Coordinator;
    }

    /// <summary>The coordinator of a group shared by a fleet, or <see langword="null"/> for a group of its own.</summary>
    public IScalingGroupCoordinator? Coordinator { get; }

    /// <summary>Whether the instances register themselves (the coordinator's endpoints feed the balancers, not the group).</summary>
    public bool InstancesRegisterThemselves => Coordinator?.InstanceEndpoints is not null;

    /// <summary>
    /// The leadership term this copy acts in; 0 for a group of its own (always acting) and for a coordinated copy that
    /// does not lead. Work started in one term (a launch, a stop) reports back only if the term is still current.
    /// </summary>
    public long Term { get; set; }

    public string Name { get; }

    public ScalingGroupOptions Options { get; }

    public IInstanceLauncher Launcher { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public Random Random { get; }

    /// <summary>The balancer's health view given in code, or <see langword="null"/>.</summary>
    public Func<ScalingInstance, bool?>? LoadBalancerHealth { get; }

    public ChangeRunner Runner { get; }

    public ActivityLog Activities { get; }

    public GroupCapacity Capacity { get; }

    /// <summary>Cancelled when the group is disposed: in-flight launcher calls see it.</summary>
    public CancellationToken Disposed { get; }

    /// <summary>Every instance but the terminated ones, in launch order.</summary>
    public List<ScalingInstance> Instances { get; } = [];

    public ScalingProcesses Suspended { get; set; }

    /// <summary>Where the built-in metrics and the end of draining are read: the attached pool, or a fleet's figures.</summary>
    public IScalingMetricsSource Metrics { get; }

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
