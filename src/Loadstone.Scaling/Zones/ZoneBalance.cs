namespace Loadstone.Scaling;

/// <summary>
/// Keeps instances balanced across the group's zones, as Auto Scaling does: launches go to the zone with the fewest
/// instances (ties by the order of <see cref="ScalingGroupOptions.AvailabilityZones"/>); scale-in takes from the zone
/// with the most (that has an unprotected instance), then applies the termination policies; and when zones differ by
/// more than one while the group is stable, it rebalances by launching first (up to max(10 % of max, 1) above max)
/// and terminating from the largest zone once the new instance is in service. Called under the group's lock.
/// </summary>
internal sealed class ZoneBalance(GroupContext context, InstanceLifecycle lifecycle)
{
    private readonly string?[] _zones = context.Options.AvailabilityZones.Count == 0 ? [null] : [.. context.Options.AvailabilityZones];
    private readonly TerminationPolicy[] _terminationPolicies = [.. context.Options.TerminationPolicies];

    /// <summary>The zone a new instance goes to.</summary>
    public string? ZoneWithFewest() => ZoneCounts().MinBy(c => c.Count).Zone;

    /// <summary>The instance a scale-in terminates, or <see langword="null"/> when every in-service instance is protected.</summary>
    public ScalingInstance? ChooseVictim(DateTimeOffset now)
    {
        var candidates = context.Instances
            .Where(i => i.State == ScalingInstanceState.InService && !i.IsProtectedFromScaleIn)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        // Zone balance first: the zone(s) with the most instances that have an unprotected one.
        var counts = ZoneCounts().Where(c => candidates.Any(i => i.Zone == c.Zone)).ToList();
        var most = counts.Max(c => c.Count);
        var zones = counts.Where(c => c.Count == most).Select(c => c.Zone).ToHashSet();
        candidates = candidates.Where(i => zones.Contains(i.Zone)).ToList();
        return TerminationPolicy.Choose(_terminationPolicies,
            new TerminationPolicyArguments(candidates, now, context.Launcher.LaunchTemplateVersion), context.Random);
    }

    /// <summary>Starts a rebalancing launch when the zones differ by more than one and the group is stable (AZRebalance).</summary>
    public void Rebalance(DateTimeOffset now)
    {
        if (_zones.Length < 2
            || context.IsSuspended(ScalingProcesses.AZRebalance | ScalingProcesses.Launch | ScalingProcesses.Terminate)
            || context.Instances.Any(i => i.State != ScalingInstanceState.InService)
            || context.Instances.Count != context.Capacity.Desired)
        {
            return;
        }

        var counts = ZoneCounts();
        var most = counts.MaxBy(c => c.Count);
        var fewest = counts.MinBy(c => c.Count);
        var movable = context.Instances.Any(i => i.Zone == most.Zone && !i.IsProtectedFromScaleIn);

        // Rebalancing launches first and may exceed max by max(10 %, 1) until the extra instance is terminated.
        var allowance = Math.Max(1, context.Capacity.Max / 10);
        if (most.Count - fewest.Count > 1 && movable && context.Instances.Count + 1 <= context.Capacity.Max + allowance)
        {
            lifecycle.BeginLaunch(fewest.Zone,
                $"At {GroupCapacity.Stamp(now)} an instance was started to rebalance instances across zones ({Describe(counts)}).", now, rebalance: true);
        }
    }

    private List<(string? Zone, int Count)> ZoneCounts() =>
        _zones.Select(z => (z, context.Instances.Count(i => i.CountsTowardCapacity && i.Zone == z))).ToList();

    private static string Describe(List<(string? Zone, int Count)> counts) =>
        string.Join(", ", counts.Select(c => $"{c.Zone}: {c.Count}"));
}
