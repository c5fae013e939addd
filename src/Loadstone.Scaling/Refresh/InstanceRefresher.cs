namespace Loadstone.Scaling;

/// <summary>Where an instance refresh stands.</summary>
public enum InstanceRefreshState
{
    /// <summary>Replacing instances.</summary>
    InProgress,

    /// <summary>Every instance runs the launch template version the refresh started with.</summary>
    Successful,

    /// <summary>Cancelled by <see cref="ScalingGroup.CancelInstanceRefresh"/> (replaced instances stay replaced).</summary>
    Cancelled,
}

/// <summary>A snapshot of an instance refresh, like DescribeInstanceRefreshes.</summary>
/// <param name="State">Where it stands.</param>
/// <param name="LaunchTemplateVersion">The version instances are moved to (the launcher's version when it started).</param>
/// <param name="MinHealthyPercentage">The share of desired capacity kept healthy and warm throughout.</param>
/// <param name="StartTime">When it started.</param>
/// <param name="EndTime">When it ended; <see langword="null"/> while in progress.</param>
/// <param name="InstancesToUpdate">In-service instances still on another version.</param>
public sealed record InstanceRefreshStatus(
    InstanceRefreshState State, int LaunchTemplateVersion, int MinHealthyPercentage, DateTimeOffset StartTime, DateTimeOffset? EndTime, int InstancesToUpdate);

public sealed partial class ScalingGroup
{
    private InstanceRefreshStatus? _refresh;

    /// <summary>The current or last instance refresh; <see langword="null"/> if none was started.</summary>
    public InstanceRefreshStatus? InstanceRefresh
    {
        get
        {
            lock (_gate)
            {
                return _refresh;
            }
        }
    }

    /// <summary>
    /// Replaces every in-service instance not on the launcher's current <see cref="IInstanceLauncher.LaunchTemplateVersion"/>,
    /// like StartInstanceRefresh: in batches that keep at least <paramref name="minHealthyPercentage"/> of the desired
    /// capacity in service, healthy and past warmup (one at a time when the percentage leaves no room).
    /// </summary>
    /// <param name="minHealthyPercentage">0–100; the default is 90, as Auto Scaling.</param>
    /// <exception cref="InvalidOperationException">A refresh is already in progress.</exception>
    public void StartInstanceRefresh(int minHealthyPercentage = 90)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minHealthyPercentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minHealthyPercentage, 100);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Run(now =>
        {
            if (_refresh is { State: InstanceRefreshState.InProgress })
            {
                throw new InvalidOperationException($"Scaling group '{Name}' already has an instance refresh in progress.");
            }

            _refresh = new InstanceRefreshStatus(InstanceRefreshState.InProgress, _launcher.LaunchTemplateVersion, minHealthyPercentage, now, null,
                _instances.Count(i => i.State == ScalingInstanceState.InService && i.LaunchTemplateVersion != _launcher.LaunchTemplateVersion));
        }, reconcile: true);
    }

    /// <summary>Stops the instance refresh in progress, like CancelInstanceRefresh.</summary>
    /// <returns><see langword="false"/> when none is in progress.</returns>
    public bool CancelInstanceRefresh()
    {
        var cancelled = false;
        Run(now =>
        {
            if (_refresh is { State: InstanceRefreshState.InProgress } r)
            {
                _refresh = r with { State = InstanceRefreshState.Cancelled, EndTime = now };
                cancelled = true;
            }
        }, reconcile: false);
        return cancelled;
    }

    private void ProgressRefresh(DateTimeOffset now)
    {
        if (_refresh is not { State: InstanceRefreshState.InProgress } refresh
            || (_suspended & (ScalingProcesses.Launch | ScalingProcesses.Terminate)) != 0)
        {
            return;
        }

        var version = refresh.LaunchTemplateVersion;
        var outdated = _instances
            .Where(i => i.State == ScalingInstanceState.InService && i.LaunchTemplateVersion != version)
            .OrderBy(i => i.LaunchTemplateVersion).ThenBy(i => i.LaunchedAt)
            .ToList();
        var settling = _instances.Any(i => i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait
            || i.IsWarming(now, _options.InstanceWarmup));
        if (outdated.Count == 0)
        {
            if (!settling)
            {
                _refresh = refresh with { State = InstanceRefreshState.Successful, EndTime = now, InstancesToUpdate = 0 };
            }

            return;
        }

        var healthy = _instances.Count(i => i.State == ScalingInstanceState.InService && i.Health == ScalingInstanceHealth.Healthy
            && !i.IsWarming(now, _options.InstanceWarmup));
        var minHealthy = (int)Math.Ceiling(_desired * refresh.MinHealthyPercentage / 100.0);
        var batch = healthy - minHealthy;
        if (batch <= 0 && !settling && !_instances.Any(i => i.State is ScalingInstanceState.Terminating or ScalingInstanceState.TerminatingWait or ScalingInstanceState.Stopping))
        {
            batch = 1; // no room above the minimum: one at a time, so the refresh still ends
        }

        foreach (var instance in outdated.Take(Math.Max(0, batch)))
        {
            BeginTerminate(instance,
                $"At {Stamp(now)} an instance refresh to launch template version {version} (minimum healthy {refresh.MinHealthyPercentage} %) took instance {instance.Id} (version {instance.LaunchTemplateVersion}) out of service; it will be replaced.",
                now);
        }

        _refresh = refresh with { InstancesToUpdate = outdated.Count - Math.Max(0, Math.Min(batch, outdated.Count)) };
    }
}
