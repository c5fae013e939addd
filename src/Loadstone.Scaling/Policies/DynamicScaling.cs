using System.Globalization;

namespace Loadstone.Scaling;

/// <summary>
/// The dynamic scaling policies at work: samples their metrics on each reconcile pass, closes periods into alarm
/// datapoints, collects the policies' proposals and applies the winner (the largest capacity, out and in), and runs
/// simple and step policies on request (ExecutePolicy). Called under the group's lock.
/// </summary>
internal sealed class DynamicScaling(GroupContext context, MetricSampler sampler, Cooldown cooldown)
{
    private readonly List<PolicyRuntime> _policies = [.. context.Options.Policies.Select(p => new PolicyRuntime(p))];

    public Cooldown Cooldown => cooldown;

    /// <summary>The policy named <paramref name="policyName"/>.</summary>
    /// <exception cref="ArgumentException">The group has no such policy.</exception>
    public PolicyRuntime Find(string policyName) =>
        _policies.FirstOrDefault(p => p.Policy.Name == policyName)
        ?? throw new ArgumentException($"Scaling group '{context.Name}' has no policy named '{policyName}'.", nameof(policyName));

    /// <summary>Starts every policy's first period.</summary>
    public void Start(DateTimeOffset now)
    {
        foreach (var runtime in _policies)
        {
            runtime.PeriodEnd = now + runtime.Period;
        }
    }

    public void Save(GroupDocument document)
    {
        foreach (var runtime in _policies)
        {
            document.Policies[runtime.Policy.Name] = runtime.Save();
        }
    }

    /// <summary>Takes each policy's period and alarms from the group's durable state; a policy the state does not know starts afresh.</summary>
    public void Restore(GroupDocument document, DateTimeOffset now)
    {
        foreach (var runtime in _policies)
        {
            if (document.Policies.TryGetValue(runtime.Policy.Name, out var saved))
            {
                runtime.Restore(saved);
            }
            else
            {
                runtime.Reset(now + runtime.Period);
            }
        }
    }

    /// <summary>Samples the metrics once; at each period's end feeds the alarms and lets the policies act.</summary>
    public void SampleAndScale(DateTimeOffset now)
    {
        if (_policies.Count == 0)
        {
            return;
        }

        var samples = sampler.Sample(now);
        foreach (var runtime in _policies)
        {
            if (runtime.Metric is not { } metric)
            {
                continue;
            }

            runtime.AddSample(metric.Kind switch
            {
                ScalingMetricKind.InFlight => samples.InFlight,
                ScalingMetricKind.RequestRate => samples.RequestRate,
                ScalingMetricKind.Latency => samples.Latency,
                _ => metric.Read!(),
            });
            runtime.ClosePeriods(now);
        }

        if (!_policies.Any(r => r.Fired))
        {
            return;
        }

        var proposals = new List<ScalingProposal>();
        if (!context.IsSuspended(ScalingProcesses.AlarmNotification))
        {
            CollectProposals(now, proposals);
        }

        foreach (var runtime in _policies)
        {
            runtime.Fired = false;
        }

        if (proposals.Count > 0)
        {
            // Several policies at once: the one giving the largest capacity wins, out and in.
            Apply(proposals.MaxBy(p => p.Capacity), now);
        }
    }

    /// <summary>Why a policy cannot be run by hand with this value, or <see langword="null"/> when it can.</summary>
    public static string? CannotExecute(PolicyRuntime runtime, double? metricValue) => runtime.Policy switch
    {
        TargetTrackingScalingPolicy => $"Policy '{runtime.Policy.Name}' is a target tracking policy; it cannot be executed by hand.",
        StepScalingPolicy when metricValue is null => $"Policy '{runtime.Policy.Name}' is a step scaling policy; pass the metric value.",
        _ => null,
    };

    /// <summary>Runs a simple or step policy now, like ExecutePolicy (<see cref="CannotExecute"/> checked first).</summary>
    public ScalingPolicyResult Execute(PolicyRuntime runtime, double? metricValue, bool honorCooldown, DateTimeOffset now)
    {
        var before = context.Capacity.Desired;
        var proposal = runtime.Policy switch
        {
            SimpleScalingPolicy simple => honorCooldown && cooldown.Reason(now) is { } busy
                ? new ScalingProposal(before, busy, null, Refused: true)
                : SimpleProposal(simple),
            StepScalingPolicy step when metricValue is { } v => StepProposal(step, v, now)
                ?? new ScalingProposal(before, $"No step of policy '{step.Name}' covers the value {Format(v)}.", null, Refused: true),
            _ => throw new InvalidOperationException(CannotExecute(runtime, metricValue)),
        };
        return Apply(proposal, now);
    }

    private void CollectProposals(DateTimeOffset now, List<ScalingProposal> proposals)
    {
        foreach (var runtime in _policies.Where(r => r.Fired))
        {
            switch (runtime.Policy)
            {
                case SimpleScalingPolicy simple when runtime.Alarm!.State == ScalingAlarmState.Alarm && cooldown.Reason(now) is null:
                    proposals.Add(SimpleProposal(simple));
                    break;
                case StepScalingPolicy step when runtime.Alarm!.State == ScalingAlarmState.Alarm && runtime.Alarm.LastValue is { } value:
                    if (StepProposal(step, value, now) is { } proposal)
                    {
                        proposals.Add(proposal);
                    }

                    break;
            }
        }

        // Target tracking together: out if any asks, in only if all agree (the largest of their capacities).
        var tracking = _policies.Where(r => r.Policy is TargetTrackingScalingPolicy).ToList();
        if (tracking.Count == 0 || !tracking.Any(r => r.Fired))
        {
            return;
        }

        var desired = context.Capacity.Desired;
        var votes = tracking.Select(r => TargetTrackingVote(r, now)).ToList();
        var outs = votes.Where(v => v is { Capacity: var c } && c > desired).Select(v => v!.Value).ToList();
        if (outs.Count > 0)
        {
            proposals.Add(outs.MaxBy(v => v.Capacity));
        }
        else if (votes.All(v => v is { Capacity: var c } && c < desired))
        {
            proposals.Add(votes.Select(v => v!.Value).MaxBy(v => v.Capacity));
        }
    }

    private ScalingProposal? TargetTrackingVote(PolicyRuntime runtime, DateTimeOffset now)
    {
        var policy = (TargetTrackingScalingPolicy)runtime.Policy;
        var (min, max, desired) = (context.Capacity.Min, context.Capacity.Max, context.Capacity.Desired);
        var measured = context.Instances.Count(i => i.State == ScalingInstanceState.InService && !context.IsWarming(i, now));
        if (measured == 0)
        {
            return null;
        }

        if (runtime.High!.State == ScalingAlarmState.Alarm && runtime.High.LastValue is { } high)
        {
            var capacity = ScalingMath.Clamp((int)Math.Ceiling(measured * high / policy.TargetValue - 1e-9), min, max);
            return new ScalingProposal(Math.Max(capacity, desired),
                $"target tracking policy '{policy.Name}' ({policy.Metric.Name} {Format(high)} above target {Format(policy.TargetValue)} on {measured} instances)", null);
        }

        if (!policy.DisableScaleIn && runtime.Low!.State == ScalingAlarmState.Alarm && runtime.Low.LastValue is { } low)
        {
            var capacity = ScalingMath.Clamp((int)Math.Ceiling(measured * low / policy.TargetValue - 1e-9), min, max);
            return new ScalingProposal(Math.Min(capacity, desired),
                $"target tracking policy '{policy.Name}' ({policy.Metric.Name} {Format(low)} below {TargetTrackingScalingPolicy.ScaleInThresholdRatio:P0} of target {Format(policy.TargetValue)} on {measured} instances)", null);
        }

        return new ScalingProposal(desired, $"target tracking policy '{policy.Name}' (within target)", null);
    }

    private ScalingProposal SimpleProposal(SimpleScalingPolicy policy)
    {
        var desired = context.Capacity.Desired;
        var change = ScalingMath.Change(desired, policy.AdjustmentType, policy.ScalingAdjustment, policy.MinAdjustmentMagnitude);
        return new ScalingProposal(ScalingMath.Clamp(desired + change, context.Capacity.Min, context.Capacity.Max),
            $"simple scaling policy '{policy.Name}' ({Describe(policy.AdjustmentType, policy.ScalingAdjustment)})", policy);
    }

    private ScalingProposal? StepProposal(StepScalingPolicy policy, double value, DateTimeOffset now)
    {
        if (policy.FindStep(value) is not { } step)
        {
            return null;
        }

        // Instances still warming count toward the capacity a scale-out starts from, so a repeated alarm adds only the difference.
        var desired = context.Capacity.Desired;
        var warm = context.Instances.Count(i => i.State == ScalingInstanceState.InService && !context.IsWarming(i, now));
        var change = ScalingMath.Change(desired, policy.AdjustmentType, step.ScalingAdjustment, policy.MinAdjustmentMagnitude);
        var capacity = policy.AdjustmentType == AdjustmentType.ExactCapacity || change <= 0
            ? desired + change
            : Math.Max(desired, warm + ScalingMath.Change(warm, policy.AdjustmentType, step.ScalingAdjustment, policy.MinAdjustmentMagnitude));
        return new ScalingProposal(ScalingMath.Clamp(capacity, context.Capacity.Min, context.Capacity.Max),
            $"step scaling policy '{policy.Name}' (metric {Format(value)} against threshold {Format(policy.Alarm.Threshold)}: step {Bound(step.MetricIntervalLowerBound)}..{Bound(step.MetricIntervalUpperBound)}, {Describe(policy.AdjustmentType, step.ScalingAdjustment)})", null);

        static string Bound(double? b) => b is { } v ? Format(v) : "∞";
    }

    private ScalingPolicyResult Apply(ScalingProposal proposal, DateTimeOffset now)
    {
        var before = context.Capacity.Desired;
        if (proposal.Refused)
        {
            return new ScalingPolicyResult(false, before, before, proposal.Cause);
        }

        if (proposal.Capacity < before && ScaleInBlocker(now) is { } blocked)
        {
            return new ScalingPolicyResult(false, before, before, $"Scale-in by {proposal.Cause} waits: {blocked}.");
        }

        if (proposal.Capacity == before)
        {
            return new ScalingPolicyResult(false, before, before, $"No change: {proposal.Cause} leaves the desired capacity at {before}.");
        }

        context.Capacity.ChangeDesired(proposal.Capacity, now, proposal.Cause);
        if (proposal.Simple is { } simple)
        {
            cooldown.Begin(simple.Cooldown ?? context.Options.DefaultCooldown);
        }

        return new ScalingPolicyResult(true, before, context.Capacity.Desired, context.Capacity.DesiredCause);
    }

    /// <summary>Why dynamic scale-in must wait now, or <see langword="null"/>.</summary>
    private string? ScaleInBlocker(DateTimeOffset now)
    {
        var warming = context.Instances.Count(i => context.IsWarming(i, now));
        if (warming > 0)
        {
            return $"{warming} instance(s) are still warming up";
        }

        var pending = context.Instances.Count(i => i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait);
        return pending > 0 ? $"{pending} instance(s) are still launching" : null;
    }

    private static string Describe(AdjustmentType type, int adjustment) => type switch
    {
        AdjustmentType.ExactCapacity => $"set capacity to {adjustment}",
        AdjustmentType.PercentChangeInCapacity => $"{adjustment:+0;-0;0} %",
        _ => $"{adjustment:+0;-0;0} instance(s)",
    };

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
