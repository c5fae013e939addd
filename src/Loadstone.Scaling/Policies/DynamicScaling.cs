namespace Loadstone.Scaling;

public sealed partial class ScalingGroup
{
    private readonly record struct Proposal(int Capacity, string Cause, SimpleScalingPolicy? Simple, bool Refused = false);

    /// <summary>Samples the metrics once per tick; at each period's end feeds the alarms and lets the policies act.</summary>
    private void SampleAndScale(DateTimeOffset now)
    {
        if (_policies.Count == 0)
        {
            return;
        }

        var samples = SampleBuiltInMetrics(now);
        var fired = false;
        foreach (var runtime in _policies)
        {
            var metric = runtime.Metric;
            if (metric is null)
            {
                continue;
            }

            var value = metric.Kind switch
            {
                ScalingMetricKind.InFlight => samples.InFlight,
                ScalingMetricKind.RequestRate => samples.RequestRate,
                ScalingMetricKind.Latency => samples.Latency,
                _ => metric.Read!(),
            };
            if (value is { } v && double.IsFinite(v))
            {
                runtime.Sum += v;
                runtime.Count++;
            }

            for (var guard = 0; now >= runtime.PeriodEnd && guard < 10_000; guard++)
            {
                double? datapoint = runtime.Count > 0 ? runtime.Sum / runtime.Count : null;
                runtime.Sum = 0;
                runtime.Count = 0;
                runtime.PeriodEnd += runtime.Period;
                runtime.Alarm?.Add(datapoint);
                runtime.High?.Add(datapoint);
                runtime.Low?.Add(datapoint);
                runtime.Fired = true;
                fired = true;
            }
        }

        if (!fired)
        {
            return;
        }

        var proposals = new List<Proposal>();
        if ((_suspended & ScalingProcesses.AlarmNotification) == 0)
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
            var winner = proposals.MaxBy(p => p.Capacity);
            ApplyProposal(winner, now, _desired);
        }
    }

    private void CollectProposals(DateTimeOffset now, List<Proposal> proposals)
    {
        foreach (var runtime in _policies.Where(r => r.Fired))
        {
            switch (runtime.Policy)
            {
                case SimpleScalingPolicy simple when runtime.Alarm!.State == ScalingAlarmState.Alarm && CooldownReason(now) is null:
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

        var votes = tracking.Select(r => TargetTrackingVote(r, now)).ToList();
        var outs = votes.Where(v => v is { Capacity: var c } && c > _desired).Select(v => v!.Value).ToList();
        if (outs.Count > 0)
        {
            proposals.Add(outs.MaxBy(v => v.Capacity));
        }
        else if (votes.All(v => v is { Capacity: var c } && c < _desired))
        {
            proposals.Add(votes.Select(v => v!.Value).MaxBy(v => v.Capacity));
        }
    }

    private Proposal? TargetTrackingVote(PolicyRuntime runtime, DateTimeOffset now)
    {
        var policy = (TargetTrackingScalingPolicy)runtime.Policy;
        var measured = _instances.Count(i => i.State == ScalingInstanceState.InService && !i.IsWarming(now, _options.InstanceWarmup));
        if (measured == 0)
        {
            return null;
        }

        if (runtime.High!.State == ScalingAlarmState.Alarm && runtime.High.LastValue is { } high)
        {
            var capacity = ScalingMath.Clamp((int)Math.Ceiling(measured * high / policy.TargetValue - 1e-9), _min, _max);
            return new Proposal(Math.Max(capacity, _desired),
                $"target tracking policy '{policy.Name}' ({policy.Metric.Name} {Format(high)} above target {Format(policy.TargetValue)} on {measured} instances)", null);
        }

        if (!policy.DisableScaleIn && runtime.Low!.State == ScalingAlarmState.Alarm && runtime.Low.LastValue is { } low)
        {
            var capacity = ScalingMath.Clamp((int)Math.Ceiling(measured * low / policy.TargetValue - 1e-9), _min, _max);
            return new Proposal(Math.Min(capacity, _desired),
                $"target tracking policy '{policy.Name}' ({policy.Metric.Name} {Format(low)} below {TargetTrackingScalingPolicy.ScaleInThresholdRatio:P0} of target {Format(policy.TargetValue)} on {measured} instances)", null);
        }

        return new Proposal(_desired, $"target tracking policy '{policy.Name}' (within target)", null);
    }

    private Proposal SimpleProposal(SimpleScalingPolicy policy)
    {
        var change = ScalingMath.Change(_desired, policy.AdjustmentType, policy.ScalingAdjustment, policy.MinAdjustmentMagnitude);
        return new Proposal(ScalingMath.Clamp(_desired + change, _min, _max),
            $"simple scaling policy '{policy.Name}' ({Describe(policy.AdjustmentType, policy.ScalingAdjustment)})", policy);
    }

    private Proposal? StepProposal(StepScalingPolicy policy, double value, DateTimeOffset now)
    {
        if (policy.FindStep(value) is not { } step)
        {
            return null;
        }

        // Instances still warming count toward the capacity a scale-out starts from, so a repeated alarm adds only the difference.
        var warm = _instances.Count(i => i.State == ScalingInstanceState.InService && !i.IsWarming(now, _options.InstanceWarmup));
        var change = ScalingMath.Change(_desired, policy.AdjustmentType, step.ScalingAdjustment, policy.MinAdjustmentMagnitude);
        var capacity = policy.AdjustmentType == AdjustmentType.ExactCapacity || change <= 0
            ? _desired + change
            : Math.Max(_desired, warm + ScalingMath.Change(warm, policy.AdjustmentType, step.ScalingAdjustment, policy.MinAdjustmentMagnitude));
        return new Proposal(ScalingMath.Clamp(capacity, _min, _max),
            $"step scaling policy '{policy.Name}' (metric {Format(value)} against threshold {Format(policy.Alarm.Threshold)}: step {Bound(step.MetricIntervalLowerBound)}..{Bound(step.MetricIntervalUpperBound)}, {Describe(policy.AdjustmentType, step.ScalingAdjustment)})", null);

        static string Bound(double? b) => b is { } v ? Format(v) : "∞";
    }

    private ScalingPolicyResult ApplyProposal(Proposal proposal, DateTimeOffset now, int before)
    {
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

        ChangeDesired(proposal.Capacity, now, proposal.Cause);
        if (proposal.Simple is { } simple)
        {
            _pendingCooldown = simple.Cooldown ?? _options.DefaultCooldown;
        }

        return new ScalingPolicyResult(true, before, _desired, _desiredCause);
    }

    /// <summary>Why dynamic scale-in must wait now, or <see langword="null"/>.</summary>
    private string? ScaleInBlocker(DateTimeOffset now)
    {
        var warming = _instances.Count(i => i.IsWarming(now, _options.InstanceWarmup));
        if (warming > 0)
        {
            return $"{warming} instance(s) are still warming up";
        }

        var pending = _instances.Count(i => i.State is ScalingInstanceState.Pending or ScalingInstanceState.PendingWait);
        return pending > 0 ? $"{pending} instance(s) are still launching" : null;
    }

    /// <summary>Why a simple scaling policy must wait now (activity or cooldown), or <see langword="null"/>.</summary>
    private string? CooldownReason(DateTimeOffset now) =>
        _pendingCooldown is not null ? "a simple scaling activity is still in progress"
        : now < _cooldownUntil ? $"the cooldown runs until {Stamp(_cooldownUntil)}"
        : null;

    /// <summary>The cooldown starts when the simple scaling activity's last launch or termination completes.</summary>
    private void TrackCooldown(DateTimeOffset now)
    {
        if (_pendingCooldown is not { } cooldown)
        {
            return;
        }

        var settled = _instances.Count(i => i.CountsTowardCapacity) == _desired
            && _instances.All(i => i.State == ScalingInstanceState.InService);
        if (settled)
        {
            _cooldownUntil = now + cooldown;
            _pendingCooldown = null;
        }
    }

    private static string Describe(AdjustmentType type, int adjustment) => type switch
    {
        AdjustmentType.ExactCapacity => $"set capacity to {adjustment}",
        AdjustmentType.PercentChangeInCapacity => $"{adjustment:+0;-0;0} %",
        _ => $"{adjustment:+0;-0;0} instance(s)",
    };

    private (double? InFlight, double? RequestRate, double? Latency) SampleBuiltInMetrics(DateTimeOffset now)
    {
        var elapsed = _lastSample is { } last ? now - last : TimeSpan.Zero;
        _lastSample = now;
        if (_pool is null)
        {
            return default;
        }

        var states = PoolStates();
        var inFlight = 0.0;
        var latency = 0.0;
        long requests = 0;
        var measured = 0;
        foreach (var instance in _instances)
        {
            if (instance.State != ScalingInstanceState.InService || !states.TryGetValue(instance.Endpoint!.Id, out var state))
            {
                continue;
            }

            // Keep the request counter current during warmup so the first measured period starts from here.
            var total = state.TotalRequests;
            var previous = _lastTotals.TryGetValue(instance.Id, out var p) ? p : total;
            _lastTotals[instance.Id] = total;
            if (instance.IsWarming(now, _options.InstanceWarmup))
            {
                continue;
            }

            measured++;
            inFlight += state.ActiveRequests;
            latency += state.Latency.TotalMilliseconds;
            requests += total - previous;
        }

        if (measured == 0)
        {
            return default;
        }

        double? rate = elapsed > TimeSpan.Zero ? requests / (double)measured / elapsed.TotalMinutes : null;
        return (inFlight / measured, rate, latency / measured);
    }

    private sealed class PolicyRuntime
    {
        public PolicyRuntime(ScalingPolicy policy)
        {
            Policy = policy;
            switch (policy)
            {
                case SimpleScalingPolicy { Alarm: { } alarm }:
                    Metric = alarm.Metric;
                    Period = alarm.Period;
                    Alarm = NewEvaluator(alarm);
                    break;
                case StepScalingPolicy step:
                    Metric = step.Alarm.Metric;
                    Period = step.Alarm.Period;
                    Alarm = NewEvaluator(step.Alarm);
                    break;
                case TargetTrackingScalingPolicy tracking:
                    Metric = tracking.Metric;
                    Period = tracking.Period;
                    var target = tracking.TargetValue;
                    High = new AlarmEvaluator(tracking.ScaleOutEvaluationPeriods, tracking.ScaleOutEvaluationPeriods,
                        MissingDataTreatment.Missing, v => v > target);
                    Low = new AlarmEvaluator(tracking.ScaleInEvaluationPeriods, tracking.ScaleInEvaluationPeriods,
                        MissingDataTreatment.Missing, v => v < target * TargetTrackingScalingPolicy.ScaleInThresholdRatio);
                    break;
                default:
                    Period = ScalingAlarm.DefaultPeriod;
                    break;
            }
        }

        public ScalingPolicy Policy { get; }

        public ScalingMetric? Metric { get; }

        public TimeSpan Period { get; }

        public AlarmEvaluator? Alarm { get; }

        public AlarmEvaluator? High { get; }

        public AlarmEvaluator? Low { get; }

        public DateTimeOffset PeriodEnd { get; set; }

        public double Sum { get; set; }

        public int Count { get; set; }

        public bool Fired { get; set; }

        private static AlarmEvaluator NewEvaluator(ScalingAlarm alarm) =>
            new(alarm.EvaluationPeriods, alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods, alarm.TreatMissingData, alarm.Breaches);
    }
}
