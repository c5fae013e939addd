using Microsoft.Extensions.Options;

namespace Loadstone.Scaling;

/// <summary>
/// The options of a <see cref="ScalingGroup"/>: its capacity limits, zones, health checking, termination rules,
/// lifecycle hooks, policies and scheduled actions; like the settings of an EC2 Auto Scaling group. Validated by the
/// group's constructor, which keeps its own copy of the capacity; do not change the lists afterwards.
/// </summary>
public sealed class ScalingGroupOptions
{
    /// <summary>The largest <see cref="MaxSize"/>: 10,000.</summary>
    public const int MaxInstances = 10_000;

    /// <summary>The default of <see cref="DefaultCooldown"/>: 300 s.</summary>
    public static readonly TimeSpan DefaultDefaultCooldown = TimeSpan.FromSeconds(300);

    /// <summary>The default of <see cref="DeregistrationDelay"/>: 300 s, as an ALB target group.</summary>
    public static readonly TimeSpan DefaultDeregistrationDelay = TimeSpan.FromSeconds(300);

    /// <summary>The default of <see cref="ReconcileInterval"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultReconcileInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default of <see cref="LaunchRetryDelay"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultLaunchRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>The least number of instances. The default is 1; the range is 0 to <see cref="MaxSize"/>.</summary>
    public int MinSize { get; set; } = 1;

    /// <summary>The most instances. The default is 1; the range is <see cref="MinSize"/> to 10,000 (and at least 1).</summary>
    public int MaxSize { get; set; } = 1;

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
    /// The wait after a simple scaling activity completes before another simple scaling policy may act. Not applied
    /// to step scaling, target tracking, scheduled actions or health replacement. The default is 300 s; the range is
    /// 0 to 1 day.
    /// </summary>
    public TimeSpan DefaultCooldown { get; set; } = DefaultDefaultCooldown;

    /// <summary>
    /// How long after entering service an instance's failed checks are not held against it (an instance the launcher
    /// reports <see cref="InstanceStatus.Stopped"/> is unhealthy at once). The default is 0, as the Auto Scaling API;
    /// the range is 0 to 1 day.
    /// </summary>
    public TimeSpan HealthCheckGracePeriod { get; set; }

    /// <summary>
    /// The balancer's view of an instance's health (<see langword="false"/>: unhealthy; <see langword="null"/>:
    /// unknown, treated as healthy), consulted after the grace period in addition to the launcher's status, like
    /// health check type ELB. <see langword="null"/> (the default) uses the launcher's status only.
    /// </summary>
    public Func<ScalingInstance, bool?>? LoadBalancerHealth { get; set; }

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

    /// <summary>
    /// How long a terminating instance may keep finishing its in-flight requests after leaving the endpoint source;
    /// it stops as soon as it has none. The default is 300 s, as an ALB's deregistration delay; the range is 0 to 3,600 s.
    /// </summary>
    public TimeSpan DeregistrationDelay { get; set; } = DefaultDeregistrationDelay;

    /// <summary>The lifecycle hooks; names must be unique.</summary>
    public IList<LifecycleHook> LifecycleHooks { get; } = [];

    /// <summary>The dynamic scaling policies; names must be unique.</summary>
    public IList<ScalingPolicy> Policies { get; } = [];

    /// <summary>The scheduled actions; names must be unique.</summary>
    public IList<ScheduledAction> ScheduledActions { get; } = [];

    /// <summary>
    /// How often the group compares itself with the desired state, checks health, samples metrics and runs due
    /// actions. The default is 1 s; the range is 10 ms to 1 min.
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = DefaultReconcileInterval;

    /// <summary>The wait after a failed launch before launching again. The default is 10 s; the range is 0 to 10 min.</summary>
    public TimeSpan LaunchRetryDelay { get; set; } = DefaultLaunchRetryDelay;

    /// <summary>How many activities <see cref="ScalingGroup.Activities"/> keeps. The default is 1,000; the range is 1 to 100,000.</summary>
    public int MaxActivityHistory { get; set; } = 1000;

    /// <summary>Whether disposing the group stops its instances (without draining). The default is <see langword="true"/>.</summary>
    public bool StopInstancesOnDispose { get; set; } = true;

    /// <summary>The clock. The default, <see langword="null"/>, is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// The random source for termination ties. The default, <see langword="null"/>, is <see cref="System.Random.Shared"/>;
    /// a seeded one makes choices reproducible.
    /// </summary>
    public Random? Random { get; set; }

    internal List<string> Problems(string group)
    {
        var p = new List<string>();
        var at = $"Scaling group '{group}':";
        if (MinSize < 0)
        {
            p.Add($"{at} MinSize ({MinSize}) must not be negative.");
        }

        if (MaxSize < 1 || MaxSize > MaxInstances)
        {
            p.Add($"{at} MaxSize ({MaxSize}) must be between 1 and {MaxInstances}.");
        }

        if (MinSize > MaxSize)
        {
            p.Add($"{at} MinSize ({MinSize}) must not exceed MaxSize ({MaxSize}).");
        }

        if (DesiredCapacity is { } d && (d < MinSize || d > MaxSize))
        {
            p.Add($"{at} DesiredCapacity ({d}) must be between MinSize ({MinSize}) and MaxSize ({MaxSize}).");
        }

        if (AvailabilityZones.Any(string.IsNullOrWhiteSpace) || AvailabilityZones.Distinct(StringComparer.Ordinal).Count() != AvailabilityZones.Count)
        {
            p.Add($"{at} AvailabilityZones must be distinct non-empty names.");
        }

        Range(p, at, nameof(DefaultCooldown), DefaultCooldown, TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(p, at, nameof(HealthCheckGracePeriod), HealthCheckGracePeriod, TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(p, at, nameof(InstanceWarmup), InstanceWarmup, TimeSpan.Zero, TimeSpan.FromSeconds(3600));
        Range(p, at, nameof(DeregistrationDelay), DeregistrationDelay, TimeSpan.Zero, TimeSpan.FromSeconds(3600));
        Range(p, at, nameof(ReconcileInterval), ReconcileInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        Range(p, at, nameof(LaunchRetryDelay), LaunchRetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        if (MaxInstanceLifetime != TimeSpan.Zero && MaxInstanceLifetime < TimeSpan.FromDays(1))
        {
            p.Add($"{at} MaxInstanceLifetime ({MaxInstanceLifetime}) must be 0 (no limit) or at least 1 day.");
        }

        if (MaxActivityHistory is < 1 or > 100_000)
        {
            p.Add($"{at} MaxActivityHistory ({MaxActivityHistory}) must be between 1 and 100000.");
        }

        Unique(p, at, nameof(LifecycleHooks), LifecycleHooks.Select(h => h?.Name));
        foreach (var (hook, i) in LifecycleHooks.Select((h, i) => (h, i)))
        {
            if (hook is null || string.IsNullOrWhiteSpace(hook.Name))
            {
                p.Add($"{at} LifecycleHooks[{i}] needs a Name.");
                continue;
            }

            if (hook.HeartbeatTimeout < LifecycleHook.MinHeartbeatTimeout || hook.HeartbeatTimeout > LifecycleHook.MaxHeartbeatTimeout)
            {
                p.Add($"{at} LifecycleHooks['{hook.Name}'].HeartbeatTimeout ({hook.HeartbeatTimeout}) must be between 30 s and 7200 s.");
            }
        }

        Unique(p, at, nameof(Policies), Policies.Select(x => x?.Name));
        foreach (var (policy, i) in Policies.Select((x, i) => (x, i)))
        {
            if (policy is null || string.IsNullOrWhiteSpace(policy.Name))
            {
                p.Add($"{at} Policies[{i}] needs a Name.");
                continue;
            }

            policy.Validate($"{at} Policies['{policy.Name}']", p);
        }

        Unique(p, at, nameof(ScheduledActions), ScheduledActions.Select(x => x?.Name));
        foreach (var (action, i) in ScheduledActions.Select((x, i) => (x, i)))
        {
            if (action is null)
            {
                p.Add($"{at} ScheduledActions[{i}] is null.");
                continue;
            }

            action.Validate($"{at} ScheduledActions['{action.Name}']", p);
        }

        if (TerminationPolicies.Any(t => t is null))
        {
            p.Add($"{at} TerminationPolicies must not contain null.");
        }

        return p;
    }

    internal void ThrowIfInvalid(string group)
    {
        var problems = Problems(group);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(group, typeof(ScalingGroupOptions), problems);
        }
    }

    private static void Range(List<string> p, string at, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            p.Add($"{at} {name} ({value}) must be between {min} and {max}.");
        }
    }

    private static void Unique(List<string> p, string at, string name, IEnumerable<string?> names)
    {
        foreach (var dup in names.Where(n => n is not null).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            p.Add($"{at} {name} has two entries named '{dup.Key}'.");
        }
    }
}
