namespace Loadstone.Scaling;

/// <summary>A snapshot of an instance refresh, like DescribeInstanceRefreshes.</summary>
/// <param name="State">Where it stands.</param>
/// <param name="LaunchTemplateVersion">The version instances are moved to (the launcher's version when it started).</param>
/// <param name="MinHealthyPercentage">The share of desired capacity kept healthy and warm throughout.</param>
/// <param name="StartTime">When it started.</param>
/// <param name="EndTime">When it ended; <see langword="null"/> while in progress.</param>
/// <param name="InstancesToUpdate">In-service instances still on another version.</param>
public sealed record InstanceRefreshStatus(
    InstanceRefreshState State, int LaunchTemplateVersion, int MinHealthyPercentage, DateTimeOffset StartTime, DateTimeOffset? EndTime, int InstancesToUpdate);
