using System.Diagnostics;

namespace Loadstone.Scaling;

/// <summary>Where an instance is in its life within a group, like the Auto Scaling instance lifecycle states.</summary>
public enum ScalingInstanceState
{
    /// <summary>Being launched: the launcher has not returned yet.</summary>
    Pending,

    /// <summary>Launched and waiting for launch lifecycle hooks (Pending:Wait).</summary>
    PendingWait,

    /// <summary>Serving: listed by <see cref="ScalingGroup.EndpointSource"/>.</summary>
    InService,

    /// <summary>Removed from the endpoint source and draining its in-flight requests (Terminating, deregistration delay).</summary>
    Terminating,

    /// <summary>Waiting for terminate lifecycle hooks (Terminating:Wait).</summary>
    TerminatingWait,

    /// <summary>Being stopped by the launcher.</summary>
    Stopping,

    /// <summary>Stopped and gone from the group.</summary>
    Terminated,
}

/// <summary>An instance's health in the group's eyes.</summary>
public enum ScalingInstanceHealth
{
    /// <summary>Healthy, or not checked yet.</summary>
    Healthy,

    /// <summary>Unhealthy: it will be terminated and replaced.</summary>
    Unhealthy,
}

/// <summary>
/// One instance of a <see cref="ScalingGroup"/>: the launcher's instance plus the group's view of it (state, health,
/// protection). Read-only to callers; change it through the group's methods. Values may be a moment stale.
/// </summary>
[DebuggerDisplay("{Id} {State} {Zone}")]
public sealed class ScalingInstance
{
    internal ScalingInstance(string id, string? zone, int launchTemplateVersion, DateTimeOffset launchedAt, bool isProtected)
    {
        Id = id;
        Zone = zone;
        LaunchTemplateVersion = launchTemplateVersion;
        LaunchedAt = launchedAt;
        IsProtectedFromScaleIn = isProtected;
    }

    /// <summary>The group's identifier, <c>{group}-{n}</c>.</summary>
    public string Id { get; }

    /// <summary>The zone the group placed the instance in, or <see langword="null"/> when the group has no zones.</summary>
    public string? Zone { get; }

    /// <summary>The launch template version it was launched with.</summary>
    public int LaunchTemplateVersion { get; internal set; }

    /// <summary>When the launch started.</summary>
    public DateTimeOffset LaunchedAt { get; }

    /// <summary>When it entered <see cref="ScalingInstanceState.InService"/>; <see langword="null"/> before.</summary>
    public DateTimeOffset? InServiceAt { get; internal set; }

    /// <summary>Its state.</summary>
    public ScalingInstanceState State { get; internal set; }

    /// <summary>Its health.</summary>
    public ScalingInstanceHealth Health { get; internal set; }

    /// <summary>Why it was marked unhealthy, in words; <see langword="null"/> while healthy.</summary>
    public string? HealthReason { get; internal set; }

    /// <summary>
    /// Whether scale-in may not choose it, like instance scale-in protection. It does not protect from health
    /// replacement, lifetime replacement, or an explicit <see cref="ScalingGroup.TerminateInstance"/>.
    /// </summary>
    public bool IsProtectedFromScaleIn { get; internal set; }

    /// <summary>The launcher's instance; <see langword="null"/> while <see cref="ScalingInstanceState.Pending"/>.</summary>
    public LaunchedInstance? Launched { get; internal set; }

    /// <summary>Its endpoint; <see langword="null"/> while <see cref="ScalingInstanceState.Pending"/>.</summary>
    public LoadBalancedEndpoint? Endpoint => Launched?.Endpoint;

    internal bool IsReplacement { get; set; }

    internal bool IsRebalanceLaunch { get; set; }

    internal string? TerminationCause { get; set; }

    internal DateTimeOffset DrainDeadline { get; set; }

    internal EndpointState? DrainState { get; set; }

    internal ScalingActivity? Activity { get; set; }

    internal Dictionary<string, HookWait>? Hooks { get; set; }

    internal bool CountsTowardCapacity => State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait or ScalingInstanceState.InService;

    /// <summary>True while in service but not yet past the group's instance warmup.</summary>
    internal bool IsWarming(DateTimeOffset now, TimeSpan warmup) =>
        State == ScalingInstanceState.InService && InServiceAt is { } at && now < at + warmup;

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({State}{(Zone is null ? "" : ", " + Zone)})";

    internal sealed class HookWait(LifecycleHook hook, DateTimeOffset deadline)
    {
        public LifecycleHook Hook { get; } = hook;

        public DateTimeOffset Deadline { get; set; } = deadline;

        public LifecycleActionResult? Result { get; set; }
    }
}
