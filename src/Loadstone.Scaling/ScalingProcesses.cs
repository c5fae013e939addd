namespace Loadstone.Scaling;

/// <summary>
/// The processes of a <see cref="ScalingGroup"/> that can be suspended and resumed, like the Auto Scaling processes of
/// SuspendProcesses/ResumeProcesses. Combine with <c>|</c>.
/// </summary>
[Flags]
public enum ScalingProcesses
{
    /// <summary>No process.</summary>
    None = 0,

    /// <summary>Launching instances, for any reason. Suspending it also stops replacement and rebalancing launches.</summary>
    Launch = 1,

    /// <summary>Terminating instances, for any reason (scale-in, replacement, rebalancing, lifetime).</summary>
    Terminate = 2,

    /// <summary>Checking instance health; instances keep the health they have.</summary>
    HealthCheck = 4,

    /// <summary>Replacing unhealthy instances (and instances past <see cref="ScalingGroupOptions.MaxInstanceLifetime"/>).</summary>
    ReplaceUnhealthy = 8,

    /// <summary>Acting on alarms and target tracking: dynamic policies stop changing the desired capacity.</summary>
    AlarmNotification = 16,

    /// <summary>Running scheduled actions; actions due while suspended are skipped, not run later.</summary>
    ScheduledActions = 32,

    /// <summary>Rebalancing instances across zones.</summary>
    AZRebalance = 64,

    /// <summary>Every process.</summary>
    All = Launch | Terminate | HealthCheck | ReplaceUnhealthy | AlarmNotification | ScheduledActions | AZRebalance,
}
