namespace Loadstone.Scaling;

/// <summary>
/// The options of a <see cref="ScalingGroup"/>: its capacity limits, zones, health checking, termination rules,
/// lifecycle hooks, policies and scheduled actions; like the settings of an EC2 Auto Scaling group. Validated by the
/// group's constructor, which keeps its own copy of the capacity; do not change the lists afterwards.
/// </summary>
/// <remarks>
/// There is no deregistration delay here: a terminating instance leaves the group's endpoint source and the pool the
/// group is attached to drains it with its own <see cref="LoadBalancingOptions.DeregistrationDelay"/>, like an ALB
/// target group; the group stops the instance once the pool has let it go. What the group runs with besides these
/// settings (clock, random source, logs, metrics, the balancer's health view, a coordinator) comes from
/// <see cref="ScalingGroupDependencies"/> or, with <c>AddScalingGroup</c>, from the container and the group's builder.
/// </remarks>
public sealed class ScalingGroupOptions
{
    /// <summary>
    /// The least number of instances. The default is <see cref="ScalingGroupDefaults.MinSize"/> (1); the range is 0 to
    /// <see cref="MaxSize"/>.
    /// </summary>
    public int MinSize { get; set; } = ScalingGroupDefaults.MinSize;

    /// <summary>
    /// The most instances. The default is <see cref="ScalingGroupDefaults.MaxSize"/> (1); the range is
    /// <see cref="MinSize"/> to 10,000, and at least 1.
    /// </summary>
    public int MaxSize { get; set; } = ScalingGroupDefaults.MaxSize;

    /// <summary>
    /// The number of instances to start with; <see langword="null"/> (the default) means <see cref="MinSize"/>. Must lie
    /// within [<see cref="MinSize"/>, <see cref="MaxSize"/>].
    /// </summary>
    public int? DesiredCapacity { get; set; }

    /// <summary>
    /// The zones to spread instances over, in order of preference for ties; empty (the default) for one unnamed zone.
    /// New instances go to the zone with the fewest; scale-in takes from the zone with the most.
    /// </summary>
    public IList<string> AvailabilityZones { get; } = [];

    /// <summary>
    /// The wait after a simple scaling activity completes before another simple scaling policy may act, like the Auto
    /// Scaling group's DefaultCooldown. Not applied to step scaling, target tracking, scheduled actions or health
    /// replacement. The default is <see cref="ScalingGroupDefaults.Cooldown"/> (300 s); the range is 0 to 1 day.
    /// </summary>
    public TimeSpan DefaultCooldown { get; set; } = ScalingGroupDefaults.Cooldown;

    /// <summary>
    /// How long after entering service an instance's failed checks are not held against it (an instance the launcher
    /// reports <see cref="InstanceStatus.Stopped"/> is unhealthy at once). The default is 0, as the Auto Scaling API;
    /// the range is 0 to 1 day.
    /// </summary>
    public TimeSpan HealthCheckGracePeriod { get; set; }

    /// <summary>
    /// How long a new in-service instance warms up: its metrics are not used yet, it counts toward the capacity for
    /// scale-out, and dynamic scale-in waits for it. The default is 0; the range is 0 to 3,600 s.
    /// </summary>
    public TimeSpan InstanceWarmup { get; set; }

    /// <summary>
    /// The longest an instance may serve before it is replaced (one at a time); <see cref="TimeSpan.Zero"/> (the
    /// default) for no limit, else at least 1 day.
    /// </summary>
    public TimeSpan MaxInstanceLifetime { get; set; }

    /// <summary>Whether new instances are protected from scale-in. The default is <see langword="false"/>.</summary>
    public bool NewInstancesProtectedFromScaleIn { get; set; }

    /// <summary>
    /// The termination policies, applied in order after zone balance; empty (the default) means
    /// <see cref="TerminationPolicy.Default"/>.
    /// </summary>
    public IList<TerminationPolicy> TerminationPolicies { get; } = [];

    /// <summary>The lifecycle hooks; names must be unique.</summary>
    public IList<LifecycleHook> LifecycleHooks { get; } = [];

    /// <summary>The dynamic scaling policies; names must be unique.</summary>
    public IList<ScalingPolicy> Policies { get; } = [];

    /// <summary>The scheduled actions; names must be unique.</summary>
    public IList<ScheduledAction> ScheduledActions { get; } = [];

    /// <summary>
    /// How often the group compares itself with the desired state, checks health, samples metrics, runs due actions
    /// and looks whether the pool has let terminating instances go. The default is
    /// <see cref="ScalingGroupDefaults.ReconcileInterval"/> (1 s); the range is 10 ms to 1 min.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = ScalingGroupDefaults.ReconcileInterval;

    /// <summary>
    /// The wait after a failed launch before launching again. The default is
    /// <see cref="ScalingGroupDefaults.LaunchRetryDelay"/> (10 s); the range is 0 to 10 min.
    /// </summary>
    public TimeSpan LaunchRetryDelay { get; set; } = ScalingGroupDefaults.LaunchRetryDelay;

    /// <summary>
    /// How many activities <see cref="ScalingGroup.Activities"/> keeps. The default is
    /// <see cref="ScalingGroupDefaults.MaxActivityHistory"/> (1,000); the range is 1 to 100,000.
    /// </summary>
    public int MaxActivityHistory { get; set; } = ScalingGroupDefaults.MaxActivityHistory;

    /// <summary>
    /// Whether disposing the group stops its instances (without draining). The default is <see langword="true"/>. A group
    /// with a coordinator (<see cref="ScalingGroupDependencies.Coordinator"/>) never stops its instances when disposed:
    /// they belong to the fleet, and the next controller takes them over.
    /// </summary>
    public bool StopInstancesOnDispose { get; set; } = true;
}
