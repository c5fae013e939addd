namespace Loadstone.Scaling;

/// <summary>The ranges the settings are validated against (their documentation states them in words).</summary>
internal static class ScalingGroupLimits
{
    public const int MaxInstances = 10_000;

    public const int MaxActivityHistory = 100_000;

    public static readonly TimeSpan MaxCooldown = TimeSpan.FromDays(1);

    public static readonly TimeSpan MaxHealthCheckGracePeriod = TimeSpan.FromDays(1);

    public static readonly TimeSpan MaxInstanceWarmup = TimeSpan.FromSeconds(3600);

    public static readonly TimeSpan MinInstanceLifetime = TimeSpan.FromDays(1);

    public static readonly TimeSpan MinReconcileInterval = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan MaxReconcileInterval = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxLaunchRetryDelay = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan MinHeartbeatTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxHeartbeatTimeout = TimeSpan.FromSeconds(7200);

    public static readonly TimeSpan MaxWaitForCapacityTimeout = TimeSpan.FromHours(1);
}
