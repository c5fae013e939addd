using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// Health checks and replacement: marks in-service instances unhealthy (the launcher's status always; after the grace
/// period also an impaired status, the <see cref="ScalingGroupDependencies.LoadBalancerHealth"/> delegate and, when asked,
/// the pool's view), and takes unhealthy instances and instances past their maximum lifetime out of service to be
/// replaced, at most max(1, 10 % of desired) at a time, as Auto Scaling paces it. Called under the group's lock.
/// </summary>
internal sealed partial class HealthReplacement(GroupContext context, InstanceLifecycle lifecycle)
{
    /// <summary>Marks instances that fail a check unhealthy (the HealthCheck process).</summary>
    public void CheckHealth(DateTimeOffset now)
    {
        if (context.IsSuspended(ScalingProcesses.HealthCheck))
        {
            return;
        }

        var balancer = context.Pool is { UseBalancerHealth: true } pool ? pool.RoutedStates() : null;
        foreach (var instance in context.Instances)
        {
            if (instance.State != ScalingInstanceState.InService || instance.Health == ScalingInstanceHealth.Unhealthy)
            {
                continue;
            }

            var status = context.Launcher.GetStatus(instance.Launched!);
            var graceOver = now >= instance.InServiceAt + context.Options.HealthCheckGracePeriod;
            string? reason = status == InstanceStatus.Stopped ? "the launcher reports it stopped"
                : !graceOver ? null
                : status == InstanceStatus.Impaired ? "it failed the launcher's status checks"
                : context.LoadBalancerHealth?.Invoke(instance) == false ? "it failed the balancer's health checks"
                : balancer?.GetValueOrDefault(instance.Endpoint!.Id) is { Health: EndpointHealth.Unhealthy } state
                    ? $"the balancer reports it unhealthy ({state.HealthReason})"
                : null;
            if (reason is not null)
            {
                instance.Health = ScalingInstanceHealth.Unhealthy;
                instance.HealthReason = reason;
                Log.InstanceUnhealthy(context.Logger, context.Name, instance.Id, reason);
            }
        }
    }

    /// <summary>Takes unhealthy and expired instances out of service, unhealthy first (the ReplaceUnhealthy process).</summary>
    public void ReplaceInstances(DateTimeOffset now)
    {
        if (context.IsSuspended(ScalingProcesses.ReplaceUnhealthy | ScalingProcesses.Terminate))
        {
            return;
        }

        // At most 10 % of desired capacity is being replaced at a time, and one at a time for small groups.
        var limit = Math.Max(1, context.Capacity.Desired / 10);
        var inProgress = context.ReplacementsOwed
            + context.Instances.Count(i => i.IsReplacement && i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait);
        var lifetime = context.Options.MaxInstanceLifetime;
        var due = context.Instances
            .Where(i => i.State == ScalingInstanceState.InService)
            .Select(i => (Instance: i, Reason: i.Health == ScalingInstanceHealth.Unhealthy ? i.HealthReason
                : lifetime > TimeSpan.Zero && now - i.LaunchedAt >= lifetime ? $"it reached the maximum instance lifetime of {lifetime}" : null))
            .Where(x => x.Reason is not null)
            .OrderBy(x => x.Instance.Health == ScalingInstanceHealth.Unhealthy ? 0 : 1)
            .ToList();
        foreach (var (instance, reason) in due)
        {
            if (inProgress >= limit)
            {
                break;
            }

            inProgress++;
            context.ReplacementsOwed++;
            lifecycle.BeginTerminate(instance,
                $"At {GroupCapacity.Stamp(now)} instance {instance.Id} was taken out of service because {reason}; it will be replaced.",
                now);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(103, LogLevel.Warning, "Scaling group '{Group}': instance {Instance} is unhealthy because {Reason}.", EventName = "InstanceUnhealthy")]
        public static partial void InstanceUnhealthy(ILogger logger, string group, string instance, string reason);
    }
}
