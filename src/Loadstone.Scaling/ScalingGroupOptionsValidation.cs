using Microsoft.Extensions.Options;

namespace Loadstone.Scaling;

/// <summary>Every problem of a group's options at once, each naming the group and the setting.</summary>
internal static class ScalingGroupOptionsValidation
{
    public static List<string> Problems(ScalingGroupOptions options, string group)
    {
        var p = new List<string>();
        var at = $"Scaling group '{group}':";
        Capacity(options, p, at);
        if (options.AvailabilityZones.Any(string.IsNullOrWhiteSpace)
            || options.AvailabilityZones.Distinct(StringComparer.Ordinal).Count() != options.AvailabilityZones.Count)
        {
            p.Add($"{at} AvailabilityZones must be distinct non-empty names.");
        }

        Range(p, at, nameof(options.DefaultCooldown), options.DefaultCooldown, TimeSpan.Zero, ScalingGroupLimits.MaxCooldown);
        Range(p, at, nameof(options.HealthCheckGracePeriod), options.HealthCheckGracePeriod, TimeSpan.Zero, ScalingGroupLimits.MaxHealthCheckGracePeriod);
        Range(p, at, nameof(options.InstanceWarmup), options.InstanceWarmup, TimeSpan.Zero, ScalingGroupLimits.MaxInstanceWarmup);
        Range(p, at, nameof(options.ReconcileInterval), options.ReconcileInterval, ScalingGroupLimits.MinReconcileInterval, ScalingGroupLimits.MaxReconcileInterval);
        Range(p, at, nameof(options.LaunchRetryDelay), options.LaunchRetryDelay, TimeSpan.Zero, ScalingGroupLimits.MaxLaunchRetryDelay);
        if (options.MaxInstanceLifetime != TimeSpan.Zero && options.MaxInstanceLifetime < ScalingGroupLimits.MinInstanceLifetime)
        {
            p.Add($"{at} MaxInstanceLifetime ({options.MaxInstanceLifetime}) must be 0 (no limit) or at least 1 day.");
        }

        if (options.MaxActivityHistory < 1 || options.MaxActivityHistory > ScalingGroupLimits.MaxActivityHistory)
        {
            p.Add($"{at} MaxActivityHistory ({options.MaxActivityHistory}) must be between 1 and {ScalingGroupLimits.MaxActivityHistory}.");
        }

        Hooks(options, p, at);
        Policies(options, p, at);
        ScheduledActions(options, p, at);
        if (options.TerminationPolicies.Any(t => t is null))
        {
            p.Add($"{at} TerminationPolicies must not contain null.");
        }

        return p;
    }

    public static void ThrowIfInvalid(ScalingGroupOptions options, string group)
    {
        var problems = Problems(options, group);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(group, typeof(ScalingGroupOptions), problems);
        }
    }

    /// <summary>The capacity rule shared by the options and <see cref="ScalingGroup.UpdateCapacity"/>.</summary>
    public static bool IsValidRange(int min, int max) => min >= 0 && max >= 1 && max <= ScalingGroupLimits.MaxInstances && min <= max;

    private static void Capacity(ScalingGroupOptions options, List<string> p, string at)
    {
        if (options.MinSize < 0)
        {
            p.Add($"{at} MinSize ({options.MinSize}) must not be negative.");
        }

        if (options.MaxSize < 1 || options.MaxSize > ScalingGroupLimits.MaxInstances)
        {
            p.Add($"{at} MaxSize ({options.MaxSize}) must be between 1 and {ScalingGroupLimits.MaxInstances}.");
        }

        if (options.MinSize > options.MaxSize)
        {
            p.Add($"{at} MinSize ({options.MinSize}) must not exceed MaxSize ({options.MaxSize}).");
        }

        if (options.DesiredCapacity is { } d && (d < options.MinSize || d > options.MaxSize))
        {
            p.Add($"{at} DesiredCapacity ({d}) must be between MinSize ({options.MinSize}) and MaxSize ({options.MaxSize}).");
        }
    }

    private static void Hooks(ScalingGroupOptions options, List<string> p, string at)
    {
        Unique(p, at, nameof(options.LifecycleHooks), options.LifecycleHooks.Select(h => h?.Name));
        foreach (var (hook, i) in options.LifecycleHooks.Select((h, i) => (h, i)))
        {
            if (hook is null || string.IsNullOrWhiteSpace(hook.Name))
            {
                p.Add($"{at} LifecycleHooks[{i}] needs a Name.");
                continue;
            }

            if (hook.HeartbeatTimeout < ScalingGroupLimits.MinHeartbeatTimeout || hook.HeartbeatTimeout > ScalingGroupLimits.MaxHeartbeatTimeout)
            {
                p.Add($"{at} LifecycleHooks['{hook.Name}'].HeartbeatTimeout ({hook.HeartbeatTimeout}) must be between 30 s and 7200 s.");
            }
        }
    }

    private static void Policies(ScalingGroupOptions options, List<string> p, string at)
    {
        Unique(p, at, nameof(options.Policies), options.Policies.Select(x => x?.Name));
        foreach (var (policy, i) in options.Policies.Select((x, i) => (x, i)))
        {
            if (policy is null || string.IsNullOrWhiteSpace(policy.Name))
            {
                p.Add($"{at} Policies[{i}] needs a Name.");
                continue;
            }

            policy.Validate($"{at} Policies['{policy.Name}']", p);
        }
    }

    private static void ScheduledActions(ScalingGroupOptions options, List<string> p, string at)
    {
        Unique(p, at, nameof(options.ScheduledActions), options.ScheduledActions.Select(x => x?.Name));
        foreach (var (action, i) in options.ScheduledActions.Select((x, i) => (x, i)))
        {
            if (action is null)
            {
                p.Add($"{at} ScheduledActions[{i}] is null.");
                continue;
            }

            action.Validate($"{at} ScheduledActions['{action.Name}']", p);
        }
    }

    private static void Range(List<string> p, string at, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            p.Add($"{at} {name} ({value}) must be between {min} and {max}.");
        }
    }

    private static void Unique(List<string> p, string at, string name, IEnumerable<string?> names)
    {
        foreach (var dup in names.Where(n => n is not null).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            p.Add($"{at} {name} has two entries named '{dup.Key}'.");
        }
    }
}
