namespace Loadstone.Scaling;

/// <summary>
/// Chooses which instance a scale-in terminates, like an Auto Scaling termination policy. Before any policy, the
/// group picks the zone with the most instances (that has an unprotected one). Policies in
/// <see cref="ScalingGroupOptions.TerminationPolicies"/> then narrow the candidates in order; each keeps the
/// instances it prefers, ties go to the next policy, then to <see cref="Default"/>, then to a random pick.
/// </summary>
public sealed class TerminationPolicy
{
    private readonly Func<TerminationPolicyArguments, IEnumerable<ScalingInstance>> _narrow;

    private TerminationPolicy(string name, Func<TerminationPolicyArguments, IEnumerable<ScalingInstance>> narrow)
    {
        Name = name;
        _narrow = narrow;
    }

    /// <summary>The policy's name.</summary>
    public string Name { get; }

    /// <summary>Oldest launch template version first, then closest to the next instance hour, then random (after zone balance).</summary>
    public static TerminationPolicy Default { get; } = new(nameof(Default), static a => a.Candidates);

    /// <summary>The instance launched first.</summary>
    public static TerminationPolicy OldestInstance { get; } = new(nameof(OldestInstance),
        static a => KeepBest(a.Candidates, i => i.LaunchedAt.UtcTicks));

    /// <summary>The instance launched last.</summary>
    public static TerminationPolicy NewestInstance { get; } = new(nameof(NewestInstance),
        static a => KeepBest(a.Candidates, i => -i.LaunchedAt.UtcTicks));

    /// <summary>The instance with the lowest launch template version.</summary>
    public static TerminationPolicy OldestLaunchTemplate { get; } = new(nameof(OldestLaunchTemplate),
        static a => KeepBest(a.Candidates, i => i.LaunchTemplateVersion));

    /// <summary>The instance closest to completing another hour since launch (billing hour).</summary>
    public static TerminationPolicy ClosestToNextInstanceHour { get; } = new(nameof(ClosestToNextInstanceHour),
        static a => KeepBest(a.Candidates, i => TimeToNextHour(i, a.Now).Ticks));

    /// <summary>A policy of your own, like a custom termination policy Lambda.</summary>
    /// <param name="name">Its name, for activity causes.</param>
    /// <param name="select">
    /// Returns the candidates it prefers to terminate (a subset of <see cref="TerminationPolicyArguments.Candidates"/>);
    /// an empty or foreign result is ignored and the candidates pass unchanged to the next policy.
    /// </param>
    public static TerminationPolicy Custom(string name, Func<TerminationPolicyArguments, IEnumerable<ScalingInstance>> select)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(select);
        return new TerminationPolicy(name, select);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    internal IReadOnlyList<ScalingInstance> Narrow(TerminationPolicyArguments arguments)
    {
        var chosen = _narrow(arguments)?.Where(arguments.Candidates.Contains).Distinct().ToList();
        return chosen is { Count: > 0 } ? chosen : arguments.Candidates;
    }

    /// <summary>Applies the group's policies, then Default's rules, then <paramref name="random"/>.</summary>
    internal static ScalingInstance Choose(IReadOnlyList<TerminationPolicy> policies, TerminationPolicyArguments arguments, Random random)
    {
        var candidates = arguments.Candidates;
        foreach (var policy in policies.Append(Default))
        {
            if (candidates.Count == 1)
            {
                return candidates[0];
            }

            candidates = policy.Narrow(new TerminationPolicyArguments(candidates, arguments.Now, arguments.LaunchTemplateVersion));
            if (ReferenceEquals(policy, Default))
            {
                candidates = OldestLaunchTemplate.Narrow(new(candidates, arguments.Now, arguments.LaunchTemplateVersion));
                candidates = ClosestToNextInstanceHour.Narrow(new(candidates, arguments.Now, arguments.LaunchTemplateVersion));
            }
        }

        return candidates.Count == 1 ? candidates[0] : candidates[random.Next(candidates.Count)];
    }

    private static List<ScalingInstance> KeepBest(IReadOnlyList<ScalingInstance> candidates, Func<ScalingInstance, long> key)
    {
        var best = candidates.Min(key);
        return candidates.Where(i => key(i) == best).ToList();
    }

    private static TimeSpan TimeToNextHour(ScalingInstance instance, DateTimeOffset now)
    {
        var age = now - instance.LaunchedAt;
        var intoHour = TimeSpan.FromTicks(age.Ticks % TimeSpan.TicksPerHour);
        return TimeSpan.FromHours(1) - intoHour;
    }
}
