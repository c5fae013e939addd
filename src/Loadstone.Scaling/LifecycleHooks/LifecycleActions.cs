namespace Loadstone.Scaling;

/// <summary>How an instance's wait on its lifecycle hooks ended.</summary>
/// <param name="Instance">The instance (still in <see cref="ScalingInstanceState.PendingWait"/> or <see cref="ScalingInstanceState.TerminatingWait"/>).</param>
/// <param name="Abandoned">Whether a hook ended with ABANDON (given or by timeout).</param>
/// <param name="How">The outcome in words, for the activity, e.g. <c>CONTINUE</c> or <c>ABANDON from hook 'x' (...)</c>.</param>
internal readonly record struct FinishedWait(ScalingInstance Instance, bool Abandoned, string How);

/// <summary>
/// The lifecycle hooks at work: puts an instance in Pending:Wait or Terminating:Wait with one wait per hook of the
/// transition, raises <see cref="ScalingGroup.LifecycleActionRequired"/>, takes results and heartbeats, applies a hook's
/// default result when its heartbeat timeout passes, and reports the waits that are over. Called under the group's lock.
/// </summary>
internal sealed class LifecycleActions(GroupContext context, Action<ScalingInstance, LifecycleHook> raise)
{
    /// <summary>Starts the waits of a transition, if the group has hooks for it.</summary>
    /// <returns><see langword="false"/> when there is no hook for the transition (the instance is left as it is).</returns>
    public bool TryBeginWait(ScalingInstance instance, LifecycleTransition transition, DateTimeOffset now)
    {
        var hooks = context.Options.LifecycleHooks.Where(h => h.Transition == transition).ToList();
        if (hooks.Count == 0)
        {
            return false;
        }

        instance.State = transition == LifecycleTransition.Launching ? ScalingInstanceState.PendingWait : ScalingInstanceState.TerminatingWait;
        instance.Hooks = hooks.ToDictionary(h => h.Name, h => new HookWait(h, now + h.HeartbeatTimeout), StringComparer.Ordinal);
        foreach (var hook in hooks)
        {
            context.Runner.Defer(() => raise(instance, hook));
        }

        return true;
    }

    /// <summary>Raises the event again for every hook an instance still waits on (a new leader took the wait over).</summary>
    public void RaiseWaiting(ScalingInstance instance)
    {
        foreach (var wait in instance.Hooks?.Values ?? Enumerable.Empty<HookWait>())
        {
            if (wait.Result is null)
            {
                var hook = wait.Hook;
                context.Runner.Defer(() => raise(instance, hook));
            }
        }
    }

    /// <summary>Gives a wait its result, like CompleteLifecycleAction.</summary>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool Complete(string instanceId, string hookName, LifecycleActionResult result)
    {
        if (FindWait(instanceId, hookName) is not { } wait)
        {
            return false;
        }

        wait.Result = result;
        return true;
    }

    /// <summary>Restarts a wait's heartbeat timeout, like RecordLifecycleActionHeartbeat.</summary>
    /// <returns><see langword="false"/> when the instance is not waiting on that hook.</returns>
    public bool Heartbeat(string instanceId, string hookName, DateTimeOffset now)
    {
        if (FindWait(instanceId, hookName) is not { } wait)
        {
            return false;
        }

        wait.Deadline = now + wait.Hook.HeartbeatTimeout;
        return true;
    }

    /// <summary>
    /// Applies default results to timed-out waits and returns the instances whose waits are over: every hook answered,
    /// or one abandoned. The caller moves them on.
    /// </summary>
    public List<FinishedWait> TakeFinished(DateTimeOffset now)
    {
        var finished = new List<FinishedWait>();
        foreach (var instance in context.Instances)
        {
            if (instance.State is not (ScalingInstanceState.PendingWait or ScalingInstanceState.TerminatingWait) || instance.Hooks is not { } waits)
            {
                continue;
            }

            string? timedOut = null;
            foreach (var wait in waits.Values)
            {
                if (wait.Result is null && now >= wait.Deadline)
                {
                    wait.Result = wait.Hook.DefaultResult;
                    timedOut = wait.Hook.Name;
                }
            }

            var abandoned = waits.Values.FirstOrDefault(w => w.Result == LifecycleActionResult.Abandon);
            if (abandoned is null && waits.Values.Any(w => w.Result is null))
            {
                continue;
            }

            var how = abandoned is null ? "CONTINUE" : $"ABANDON from hook '{abandoned.Hook.Name}'";
            if (timedOut is not null)
            {
                how += $" (hook '{timedOut}' timed out after {waits[timedOut].Hook.HeartbeatTimeout} without completion and took its default result)";
            }

            finished.Add(new FinishedWait(instance, abandoned is not null, how));
        }

        return finished;
    }

    private HookWait? FindWait(string instanceId, string hookName) =>
        context.Find(instanceId)?.Hooks is { } hooks && hooks.TryGetValue(hookName, out var wait) && wait.Result is null ? wait : null;
}
