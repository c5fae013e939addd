namespace Loadstone.Scaling;

/// <summary>The arguments a <see cref="TerminationPolicy"/> chooses with.</summary>
/// <param name="candidates">The instances it may choose among (never empty).</param>
/// <param name="now">The group's current time.</param>
/// <param name="launchTemplateVersion">The launcher's current launch template version.</param>
public readonly struct TerminationPolicyArguments(IReadOnlyList<ScalingInstance> candidates, DateTimeOffset now, int launchTemplateVersion)
{
    /// <summary>The instances to choose among (never empty).</summary>
    public IReadOnlyList<ScalingInstance> Candidates { get; } = candidates;

    /// <summary>The group's current time.</summary>
    public DateTimeOffset Now { get; } = now;

    /// <summary>The launcher's current launch template version.</summary>
    public int LaunchTemplateVersion { get; } = launchTemplateVersion;
}
