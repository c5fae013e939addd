using System.Diagnostics;

namespace Loadstone.Scaling;

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

    /// <summary>Launched to replace an instance taken out of service (health, lifetime, refresh).</summary>
    internal bool IsReplacement { get; set; }

    /// <summary>Launched (or chosen) to move capacity between zones; cleared once the extra instance is terminated.</summary>
    internal bool IsRebalanceLaunch { get; set; }

    /// <summary>Whether the coordinator confirmed this terminating instance's deregistration (instances that register themselves).</summary>
    internal bool IsDeregistered { get; set; }

    /// <summary>When to ask again for an unconfirmed deregistration.</summary>
    internal DateTimeOffset NextDeregistration { get; set; }

    /// <summary>The launch or terminate activity in progress.</summary>
    internal ScalingActivity? Activity { get; set; }

    /// <summary>The lifecycle hooks it waits on, by hook name; <see langword="null"/> when not waiting.</summary>
    internal Dictionary<string, HookWait>? Hooks { get; set; }

    /// <summary>Pending, waiting on launch hooks or in service: what the group compares with the desired capacity.</summary>
    internal bool CountsTowardCapacity => State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait or ScalingInstanceState.InService;

    /// <summary>True while in service but not yet past the group's instance warmup.</summary>
    internal bool IsWarming(DateTimeOffset now, TimeSpan warmup) =>
        State == ScalingInstanceState.InService && InServiceAt is { } at && now < at + warmup;

    /// <inheritdoc />
    public override string ToString() => $"{Id} ({State}{(Zone is null ? "" : ", " + Zone)})";
}
