namespace Loadstone.Scaling;

/// <content>The operations of the Auto Scaling API, each applied under the group's lock followed by a reconcile pass.</content>
public sealed partial class ScalingGroup
{
    /// <summary>
    /// Sets the desired capacity, like SetDesiredCapacity. The group launches or terminates toward it.
    /// </summary>
    /// <param name="desiredCapacity">The new desired capacity, within [<see cref="MinSize"/>, <see cref="MaxSize"/>].</param>
    /// <param name="honorCooldown">When <see langword="true"/>, refuse while a simple scaling activity or its cooldown runs. The default is <see langword="false"/>.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [min, max].</exception>
    public ScalingPolicyResult SetDesiredCapacity(int desiredCapacity, bool honorCooldown = false) =>
        RunForResult(now =>
        {
            var capacity = _context.Capacity;
            if (desiredCapacity < capacity.Min || desiredCapacity > capacity.Max)
            {
                throw new ArgumentOutOfRangeException(nameof(desiredCapacity), desiredCapacity,
                    $"The desired capacity of scaling group '{Name}' must be between MinSize ({capacity.Min}) and MaxSize ({capacity.Max}).");
            }

            var before = capacity.Desired;
            if (honorCooldown && _scaling.Cooldown.Reason(now) is { } busy)
            {
                return new ScalingPolicyResult(false, before, before, busy);
            }

            capacity.ChangeDesired(desiredCapacity, now, "a user request (SetDesiredCapacity)");
            return new ScalingPolicyResult(true, before, capacity.Desired, $"Desired capacity set to {capacity.Desired}.");
        });

    /// <summary>
    /// Changes min, max and/or desired capacity, like UpdateAutoScalingGroup. A desired capacity not given is moved
    /// into the new range if it falls outside.
    /// </summary>
    /// <param name="minSize">The new minimum, or <see langword="null"/> to keep it.</param>
    /// <param name="maxSize">The new maximum, or <see langword="null"/> to keep it.</param>
    /// <param name="desiredCapacity">The new desired capacity, or <see langword="null"/> to keep (and clamp) it.</param>
    /// <exception cref="ArgumentException">The combination is not valid (min above max, desired outside the range).</exception>
    public void UpdateCapacity(int? minSize = null, int? maxSize = null, int? desiredCapacity = null) =>
        Operate(now =>
        {
            var min = minSize ?? _context.Capacity.Min;
            var max = maxSize ?? _context.Capacity.Max;
            if (!ScalingGroupOptionsValidation.IsValidRange(min, max))
            {
                throw new ArgumentException($"Scaling group '{Name}': MinSize ({min}) and MaxSize ({max}) must satisfy 0 ≤ MinSize ≤ MaxSize, 1 ≤ MaxSize ≤ {ScalingGroupLimits.MaxInstances}.");
            }

            if (desiredCapacity is { } d && (d < min || d > max))
            {
                throw new ArgumentException($"Scaling group '{Name}': DesiredCapacity ({d}) must be between MinSize ({min}) and MaxSize ({max}).", nameof(desiredCapacity));
            }

            _context.Capacity.Apply(min, max, desiredCapacity, now, "a user request (UpdateCapacity)");
        }, reconcile: true);

    /// <summary>
    /// Runs a simple or step scaling policy now, like ExecutePolicy. Target tracking policies cannot be run by hand.
    /// </summary>
    /// <param name="policyName">The policy's name.</param>
    /// <param name="metricValue">The metric value; required for a step scaling policy (it chooses the step).</param>
    /// <param name="honorCooldown">For a simple policy: refuse while its activity or cooldown runs. The default is <see langword="true"/>.</param>
    /// <returns>What happened, with the reason in words.</returns>
    /// <exception cref="ArgumentException">No such policy, a target tracking policy, or a step policy without a value.</exception>
    public ScalingPolicyResult ExecutePolicy(string policyName, double? metricValue = null, bool honorCooldown = true)
    {
        ArgumentNullException.ThrowIfNull(policyName);
        var runtime = _scaling.Find(policyName);
        if (DynamicScaling.CannotExecute(runtime, metricValue) is { } reason)
        {
            throw new ArgumentException(reason, runtime.Policy is StepScalingPolicy ? nameof(metricValue) : nameof(policyName));
        }

        return RunForResult(now => _scaling.Execute(runtime, metricValue, honorCooldown, now));
    }

    /// <summary>The state of a simple or step policy's alarm, or of a target tracking policy's scale-out alarm.</summary>
    /// <param name="policyName">The policy's name.</param>
    /// <exception cref="ArgumentException">No such policy, or a simple policy without an alarm.</exception>
    public ScalingAlarmState GetAlarmState(string policyName)
    {
        lock (_runner.Gate)
        {
            var runtime = _scaling.Find(policyName);
            return (runtime.Alarm ?? runtime.High ?? throw new ArgumentException($"Policy '{policyName}' has no alarm.", nameof(policyName))).State;
        }
    }

    /// <summary>Marks an instance healthy or unhealthy, like SetInstanceHealth. An unhealthy instance is replaced.</summary>
    /// <param name="instanceId">The instance's <see cref="ScalingInstance.Id"/>.</param>
    /// <param name="healthy">Its health.</param>
    /// <returns><see langword="false"/> when the group has no such instance.</returns>
    public bool SetInstanceHealth(string instanceId, bool healthy) => Change(reconcile: true, _ =>
    {
        if (_context.Find(instanceId) is not { } instance)
        {
            return false;
        }

        instance.Health = healthy ? ScalingInstanceHealth.Healthy : ScalingInstanceHealth.Unhealthy;
        instance.HealthReason = healthy ? null : "it was marked unhealthy by a user request (SetInstanceHealth)";
        return true;
    });

    /// <summary>Protects an instance from scale-in, or removes the protection, like SetInstanceProtection.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="protectedFromScaleIn">Whether scale-in may choose it.</param>
    /// <returns><see langword="false"/> when the group has no such instance.</returns>
    public bool SetInstanceProtection(string instanceId, bool protectedFromScaleIn) => Change(reconcile: false, _ =>
    {
        if (_context.Find(instanceId) is not { } instance)
        {
            return false;
        }

        instance.IsProtectedFromScaleIn = protectedFromScaleIn;
        return true;
    });

    /// <summary>
    /// Terminates one instance, like TerminateInstanceInAutoScalingGroup: it leaves the endpoint source at once, and
    /// is stopped once the attached pool has drained it. Protection does not apply.
    /// </summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="decrementDesiredCapacity">
    /// <see langword="true"/> to lower the desired capacity by one (not below min); <see langword="false"/> to have it replaced.
    /// </param>
    /// <returns><see langword="false"/> when the group has no such instance in service.</returns>
    public bool TerminateInstance(string instanceId, bool decrementDesiredCapacity) => Change(reconcile: true, now =>
    {
        if (_context.Find(instanceId) is not { State: ScalingInstanceState.InService } instance)
        {
            return false;
        }

        var capacity = _context.Capacity;
        var cause = $"At {GroupCapacity.Stamp(now)} instance {instance.Id} was taken out of service by a user request (TerminateInstance)";
        if (decrementDesiredCapacity && capacity.Desired > capacity.Min)
        {
            capacity.ChangeDesired(capacity.Desired - 1, now, "a user request (TerminateInstance) that decremented the desired capacity");
            cause += $", shrinking the capacity from {capacity.Desired + 1} to {capacity.Desired}.";
        }
        else
        {
            cause += ".";
        }

        _lifecycle.BeginTerminate(instance, cause, now);
        return true;
    });

    /// <summary>Suspends processes, like SuspendProcesses.</summary>
    /// <param name="processes">The processes to suspend.</param>
    public void SuspendProcesses(ScalingProcesses processes) => Operate(_ => _context.Suspended |= processes, reconcile: false);

    /// <summary>Resumes processes, like ResumeProcesses.</summary>
    /// <param name="processes">The processes to resume.</param>
    public void ResumeProcesses(ScalingProcesses processes) => Operate(_ => _context.Suspended &= ~processes, reconcile: true);

    /// <summary>Ends an instance's wait on a lifecycle hook, like CompleteLifecycleAction.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="hookName">The hook's name.</param>
    /// <param name="result">How the wait ends.</param>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool CompleteLifecycleAction(string instanceId, string hookName, LifecycleActionResult result) =>
        Change(reconcile: true, _ => _hooks.Complete(instanceId, hookName, result));

    /// <summary>Restarts a lifecycle hook's heartbeat timeout, like RecordLifecycleActionHeartbeat.</summary>
    /// <param name="instanceId">The instance's id.</param>
    /// <param name="hookName">The hook's name.</param>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool RecordLifecycleActionHeartbeat(string instanceId, string hookName) =>
        Change(reconcile: false, now => _hooks.Heartbeat(instanceId, hookName, now));

    /// <summary>
    /// Replaces every in-service instance not on the launcher's current <see cref="IInstanceLauncher.LaunchTemplateVersion"/>,
    /// like StartInstanceRefresh: in batches that keep at least <paramref name="minHealthyPercentage"/> of the desired
    /// capacity in service, healthy and past warmup (one at a time when the percentage leaves no room).
    /// </summary>
    /// <param name="minHealthyPercentage">
    /// 0–100; the default is <see cref="ScalingGroupDefaults.InstanceRefreshMinHealthyPercentage"/> (90), as Auto Scaling.
    /// </param>
    /// <exception cref="InvalidOperationException">A refresh is already in progress.</exception>
    public void StartInstanceRefresh(int minHealthyPercentage = ScalingGroupDefaults.InstanceRefreshMinHealthyPercentage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minHealthyPercentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minHealthyPercentage, 100);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Operate(now => _refresh.Start(minHealthyPercentage, now), reconcile: true);
    }

    /// <summary>Stops the instance refresh in progress, like CancelInstanceRefresh.</summary>
    /// <returns><see langword="false"/> when none is in progress.</returns>
    public bool CancelInstanceRefresh() => Change(reconcile: false, _refresh.Cancel);

    /// <summary>Runs a change that answers yes or no; <see langword="false"/> also when it could not run (disposed, or called from inside the group).</summary>
    private bool Change(bool reconcile, Func<DateTimeOffset, bool> change)
    {
        var result = false;
        Operate(now => result = change(now), reconcile);
        return result;
    }
}
