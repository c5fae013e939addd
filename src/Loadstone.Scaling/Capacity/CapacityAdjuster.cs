namespace Loadstone.Scaling;

/// <summary>
/// Moves the group toward its desired capacity: launches in the zone with the fewest instances while it has fewer
/// (unless launching is suspended or waits after a failed launch), terminates the zone-balance and termination-policy
/// choice while it has more (unless terminating is suspended or a rebalancing launch is still under way). Every
/// launch and termination cause says why, in words. Called under the group's lock.
/// </summary>
internal sealed class CapacityAdjuster(GroupContext context, InstanceLifecycle lifecycle, ZoneBalance zones)
{
    public void Adjust(DateTimeOffset now)
    {
        var counted = context.Instances.Count(i => i.CountsTowardCapacity);
        var desired = context.Capacity.Desired;
        if (counted < desired)
        {
            Launch(counted, desired, now);
        }
        else if (counted > desired)
        {
            Terminate(counted, desired, now);
        }
    }

    private void Launch(int counted, int desired, DateTimeOffset now)
    {
        if (context.IsSuspended(ScalingProcesses.Launch) || now < lifecycle.LaunchBlockedUntil)
        {
            return;
        }

        for (var n = counted; n < desired; n++)
        {
            var why = context.ReplacementsOwed > 0
                ? $"At {GroupCapacity.Stamp(now)} an instance was started to replace an instance taken out of service."
                : $"{context.Capacity.DesiredCause} At {GroupCapacity.Stamp(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {n} to {n + 1}.";
            lifecycle.BeginLaunch(zones.ZoneWithFewest(), why, now, rebalance: false);
        }
    }

    private void Terminate(int counted, int desired, DateTimeOffset now)
    {
        if (context.IsSuspended(ScalingProcesses.Terminate)
            || context.Instances.Any(i => i.IsRebalanceLaunch && i.State != ScalingInstanceState.InService))
        {
            return;
        }

        for (var n = counted; n > desired; n--)
        {
            if (zones.ChooseVictim(now) is not { } victim)
            {
                break;
            }

            var why = victim.IsRebalanceLaunch || context.Instances.Any(i => i.IsRebalanceLaunch)
                ? $"At {GroupCapacity.Stamp(now)} an instance was taken out of service to balance instances across zones after a rebalancing launch."
                : $"{context.Capacity.DesiredCause} At {GroupCapacity.Stamp(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {n} to {n - 1}.";
            foreach (var i in context.Instances)
            {
                i.IsRebalanceLaunch = false;
            }

            lifecycle.BeginTerminate(victim, why, now);
        }
    }
}
