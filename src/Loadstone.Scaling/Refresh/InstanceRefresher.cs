namespace Loadstone.Scaling;

/// <summary>
/// An instance refresh, like StartInstanceRefresh: replaces every in-service instance not on the launch template
/// version the refresh started with, oldest version first, in batches that keep the minimum healthy percentage of
/// the desired capacity in service, healthy and past warmup (one at a time when the percentage leaves no room).
/// Called under the group's lock.
/// </summary>
internal sealed class InstanceRefresher(GroupContext context, InstanceLifecycle lifecycle)
{
    /// <summary>The current or last refresh; <see langword="null"/> if none was started.</summary>
    public InstanceRefreshStatus? Status { get; private set; }

    public void Save(GroupDocument document) => document.Refresh = Status is { } s
        ? new RefreshDocument
        {
            State = s.State,
            LaunchTemplateVersion = s.LaunchTemplateVersion,
            MinHealthyPercentage = s.MinHealthyPercentage,
            StartTime = s.StartTime,
            EndTime = s.EndTime,
            InstancesToUpdate = s.InstancesToUpdate,
        }
        : null;

    /// <summary>Takes the refresh from the group's durable state: one in progress goes on with the version it started with.</summary>
    public void Restore(GroupDocument document) => Status = document.Refresh is { } r
        ? new InstanceRefreshStatus(r.State, r.LaunchTemplateVersion, r.MinHealthyPercentage, r.StartTime, r.EndTime, r.InstancesToUpdate)
        : null;

    /// <exception cref="InvalidOperationException">A refresh is already in progress.</exception>
    public void Start(int minHealthyPercentage, DateTimeOffset now)
    {
        if (Status is { State: InstanceRefreshState.InProgress })
        {
            throw new InvalidOperationException($"Scaling group '{context.Name}' already has an instance refresh in progress.");
        }

        var version = context.Launcher.LaunchTemplateVersion;
        Status = new InstanceRefreshStatus(InstanceRefreshState.InProgress, version, minHealthyPercentage, now, null,
            context.Instances.Count(i => i.State == ScalingInstanceState.InService && i.LaunchTemplateVersion != version));
    }

    /// <returns><see langword="false"/> when no refresh is in progress.</returns>
    public bool Cancel(DateTimeOffset now)
    {
        if (Status is not { State: InstanceRefreshState.InProgress } refresh)
        {
            return false;
        }

        Status = refresh with { State = InstanceRefreshState.Cancelled, EndTime = now };
        return true;
    }

    public void Progress(DateTimeOffset now)
    {
        if (Status is not { State: InstanceRefreshState.InProgress } refresh
            || context.IsSuspended(ScalingProcesses.Launch | ScalingProcesses.Terminate))
        {
            return;
        }

        var version = refresh.LaunchTemplateVersion;
        var outdated = context.Instances
            .Where(i => i.State == ScalingInstanceState.InService && i.LaunchTemplateVersion != version)
            .OrderBy(i => i.LaunchTemplateVersion).ThenBy(i => i.LaunchedAt)
            .ToList();
        var settling = context.Instances.Any(i => i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait
            || context.IsWarming(i, now));
        if (outdated.Count == 0)
        {
            if (!settling)
            {
                Status = refresh with { State = InstanceRefreshState.Successful, EndTime = now, InstancesToUpdate = 0 };
            }

            return;
        }

        var healthy = context.Instances.Count(i => i.State == ScalingInstanceState.InService && i.Health == ScalingInstanceHealth.Healthy
            && !context.IsWarming(i, now));
        var minHealthy = (int)Math.Ceiling(context.Capacity.Desired * refresh.MinHealthyPercentage / 100.0);
        var batch = healthy - minHealthy;
        var leaving = context.Instances.Any(i => i.State is ScalingInstanceState.Terminating or ScalingInstanceState.TerminatingWait or ScalingInstanceState.Stopping);
        if (batch <= 0 && !settling && !leaving)
        {
            batch = 1; // no room above the minimum: one at a time, so the refresh still ends
        }

        foreach (var instance in outdated.Take(Math.Max(0, batch)))
        {
            lifecycle.BeginTerminate(instance,
                $"At {GroupCapacity.Stamp(now)} an instance refresh to launch template version {version} (minimum healthy {refresh.MinHealthyPercentage} %) took instance {instance.Id} (version {instance.LaunchTemplateVersion}) out of service; it will be replaced.",
                now);
        }

        Status = refresh with { InstancesToUpdate = outdated.Count - Math.Max(0, Math.Min(batch, outdated.Count)) };
    }
}
