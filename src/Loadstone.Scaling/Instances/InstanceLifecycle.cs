using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// An instance's way through the group: launch (with its activity, a failed launch's retry delay and launch hooks),
/// entering service, termination (out of the endpoint source first), terminate hooks and the launcher's stop. The
/// launcher's calls run outside the group's lock and report back through <see cref="ChangeRunner.Run"/>.
/// </summary>
internal sealed partial class InstanceLifecycle(GroupContext context, LifecycleActions hooks, EndpointPublisher endpoints)
{
    private long _sequence;

    /// <summary>Launches wait until then after a failed launch.</summary>
    public DateTimeOffset LaunchBlockedUntil { get; private set; }

    /// <summary>The number in the id of the last instance launched.</summary>
    public long Sequence => _sequence;

    /// <summary>Takes the instance counter and the launch retry delay from the group's durable state.</summary>
    public void Restore(long sequence, DateTimeOffset launchBlockedUntil)
    {
        _sequence = sequence;
        LaunchBlockedUntil = launchBlockedUntil;
    }

    public ScalingInstance BeginLaunch(string? zone, string cause, DateTimeOffset now, bool rebalance)
    {
        var id = $"{context.Name}-{++_sequence}";
        var instance = new ScalingInstance(id, zone, context.Launcher.LaunchTemplateVersion, now, context.Options.NewInstancesProtectedFromScaleIn)
        {
            State = ScalingInstanceState.Pending,
            IsRebalanceLaunch = rebalance,
        };
        if (!rebalance && context.ReplacementsOwed > 0)
        {
            instance.IsReplacement = true;
            context.ReplacementsOwed--;
        }

        context.Instances.Add(instance);
        instance.Activity = context.Activities.Start(ScalingActivityKind.Launch,
            $"Launching a new instance: {id}{InZone(zone)}", cause, now, id);
        var term = context.Term;
        context.Runner.Defer(() => _ = LaunchAsync(instance, term));
        return instance;
    }

    /// <summary>
    /// Takes over what a previous leader left under way: a launch it decided (looked for, not repeated), a stop it
    /// decided (asked again: stopping twice is harmless), a deregistration (done again), and hook waits (announced again).
    /// </summary>
    public void Resume(ScalingInstance instance)
    {
        var term = context.Term;
        switch (instance.State)
        {
            case ScalingInstanceState.Pending when instance.Launched is null:
                context.Runner.Defer(() => _ = ResumeLaunchAsync(instance, term));
                break;
            case ScalingInstanceState.Stopping when instance.Launched is not null:
                context.Runner.Defer(() => _ = StopAsync(instance, term));
                break;
            case ScalingInstanceState.Terminating when context.InstancesRegisterThemselves:
                context.Runner.Defer(() => _ = DeregisterAsync(instance, term));
                break;
            case ScalingInstanceState.PendingWait or ScalingInstanceState.TerminatingWait:
                hooks.RaiseWaiting(instance);
                break;
        }
    }

    /// <summary>
    /// Takes an in-service instance out of service: it leaves the endpoint source at once and stays
    /// <see cref="ScalingInstanceState.Terminating"/> until the attached pool lets it go (<see cref="DeregistrationWait"/>).
    /// </summary>
    public void BeginTerminate(ScalingInstance instance, string cause, DateTimeOffset now)
    {
        var wasInService = instance.State == ScalingInstanceState.InService;
        instance.State = ScalingInstanceState.Terminating;
        instance.IsRebalanceLaunch = false;
        instance.Activity = context.Activities.Start(ScalingActivityKind.Terminate,
            $"Terminating instance: {instance.Id}{InZone(instance.Zone)}", cause, now, instance.Id);
        if (wasInService && context.InstancesRegisterThemselves)
        {
            instance.IsDeregistered = false;
            instance.NextDeregistration = now + context.Options.ReconcileInterval * 5;
            var term = context.Term;
            context.Runner.Defer(() => _ = DeregisterAsync(instance, term));
        }
        else if (wasInService)
        {
            endpoints.Publish(context.Instances);
        }
    }

    /// <summary>The pool has let a terminating instance go: terminate hooks, then the launcher's stop.</summary>
    public void OnDeregistered(ScalingInstance instance, DateTimeOffset now)
    {
        if (!hooks.TryBeginWait(instance, LifecycleTransition.Terminating, now))
        {
            BeginStop(instance);
        }
    }

    /// <summary>Moves instances whose lifecycle hooks are over: into service, to the stop, or (an abandoned launch) out.</summary>
    public void ProgressHooks(DateTimeOffset now)
    {
        foreach (var (instance, abandoned, how) in hooks.TakeFinished(now))
        {
            if (instance.State == ScalingInstanceState.TerminatingWait)
            {
                BeginStop(instance);
            }
            else if (!abandoned)
            {
                EnterService(instance, now);
            }
            else
            {
                // An abandoned launch is terminated; the capacity gap launches a replacement.
                if (instance.IsReplacement)
                {
                    context.ReplacementsOwed++;
                    instance.IsReplacement = false;
                }

                context.Activities.End(instance.Activity!, now, ScalingActivityStatus.Cancelled, $"The launch lifecycle action ended with {how}.");
                instance.Activity = context.Activities.Start(ScalingActivityKind.Terminate, $"Terminating instance: {instance.Id}",
                    $"At {GroupCapacity.Stamp(now)} the launch of instance {instance.Id} was abandoned: {how}.", now, instance.Id);
                BeginStop(instance);
            }
        }
    }

    private async Task LaunchAsync(ScalingInstance instance, long term)
    {
        LaunchedInstance launched;
        try
        {
            launched = context.Launcher is IDurableInstanceLauncher durable
                ? await durable.LaunchAsync(instance.Id, instance.Zone, context.Disposed).ConfigureAwait(false)
                : await context.Launcher.LaunchAsync(instance.Zone, context.Disposed).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed launch is an activity outcome, recorded and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context.Runner.Run(now => InTerm(term, () => OnLaunchFailed(instance, ex.Message, now)), reconcile: false);
            return;
        }

        if (!context.Runner.Run(now => InTerm(term, () => OnLaunched(instance, launched, now)), reconcile: true)
            && context.Disposed.IsCancellationRequested && context.Coordinator is null)
        {
            // Launched after the group was disposed: nobody else will stop it. (A coordinated group's next leader takes it over.)
            await StopQuietlyAsync(launched).ConfigureAwait(false);
        }
    }

    /// <summary>Completes a launch a previous leader decided: the launcher looks for the instance instead of starting another.</summary>
    private async Task ResumeLaunchAsync(ScalingInstance instance, long term)
    {
        LaunchedInstance? launched;
        try
        {
            launched = await ((IDurableInstanceLauncher)context.Launcher)
                .ResumeLaunchAsync(instance.Id, instance.Zone, instance.LaunchedAt, context.Disposed).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // As a failed launch: recorded and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context.Runner.Run(now => InTerm(term, () => OnLaunchFailed(instance, ex.Message, now)), reconcile: false);
            return;
        }

        context.Runner.Run(now => InTerm(term, () =>
        {
            if (launched is null)
            {
                OnLaunchFailed(instance, "The launch a previous leader started did not come up in time.", now);
            }
            else
            {
                OnLaunched(instance, launched, now);
            }
        }), reconcile: true);
    }

    /// <summary>Takes a terminating instance out of the balancers' registrations; retried by the deregistration wait if it fails.</summary>
    private async Task DeregisterAsync(ScalingInstance instance, long term)
    {
        try
        {
            await context.Coordinator!.DeregisterAsync(instance, context.Disposed).ConfigureAwait(false);
            context.Runner.Run(_ => InTerm(term, () => instance.IsDeregistered = true), reconcile: false);
        }
        catch (OperationCanceledException) when (context.Disposed.IsCancellationRequested)
        {
            // The next leader deregisters it again.
        }
#pragma warning disable CA1031 // Retried on a later pass while the balancers still hold it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.DeregisterFailed(context.Logger, context.Name, instance.Id, ex);
        }
    }

    /// <summary>Asks again to deregister a terminating instance whose deregistration has not been confirmed.</summary>
    public void RetryDeregistration(ScalingInstance instance, DateTimeOffset now)
    {
        if (context.InstancesRegisterThemselves && !instance.IsDeregistered && now >= instance.NextDeregistration)
        {
            instance.NextDeregistration = now + context.Options.ReconcileInterval * 5;
            var term = context.Term;
            context.Runner.Defer(() => _ = DeregisterAsync(instance, term));
        }
    }

    /// <summary>Applies a launcher's report only if it belongs to the term this copy still acts in.</summary>
    private void InTerm(long term, Action apply)
    {
        if (context.Term == term && !context.Disposed.IsCancellationRequested)
        {
            apply();
        }
    }

    private void OnLaunchFailed(ScalingInstance instance, string reason, DateTimeOffset now)
    {
        context.Instances.Remove(instance);
        instance.State = ScalingInstanceState.Terminated;
        if (instance.IsReplacement)
        {
            context.ReplacementsOwed++;
        }

        var delay = context.Options.LaunchRetryDelay;
        LaunchBlockedUntil = now + delay;
        context.Activities.End(instance.Activity!, now, ScalingActivityStatus.Failed, $"The launcher failed: {reason} Launching again after {delay}.");
    }

    private void OnLaunched(ScalingInstance instance, LaunchedInstance launched, DateTimeOffset now)
    {
        instance.Launched = launched;
        instance.LaunchTemplateVersion = launched.LaunchTemplateVersion;
        if (!hooks.TryBeginWait(instance, LifecycleTransition.Launching, now))
        {
            EnterService(instance, now);
        }
    }

    private void EnterService(ScalingInstance instance, DateTimeOffset now)
    {
        instance.State = ScalingInstanceState.InService;
        instance.InServiceAt = now;
        instance.Hooks = null;
        context.Activities.End(instance.Activity!, now, ScalingActivityStatus.Successful);
        endpoints.Publish(context.Instances);
    }

    private void BeginStop(ScalingInstance instance)
    {
        instance.State = ScalingInstanceState.Stopping;
        instance.Hooks = null;
        var term = context.Term;
        context.Runner.Defer(() => _ = StopAsync(instance, term));
    }

    private async Task StopAsync(ScalingInstance instance, long term)
    {
        Exception? failure = null;
        try
        {
            await context.Launcher.StopAsync(instance.Launched!, context.Disposed).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The instance leaves the group either way; the failure is recorded on the activity.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
            Log.StopFailed(context.Logger, context.Name, instance.Id, ex);
        }

        context.Runner.Run(now => InTerm(term, () =>
        {
            instance.State = ScalingInstanceState.Terminated;
            context.Instances.Remove(instance);
            context.Activities.End(instance.Activity!, now,
                failure is null ? ScalingActivityStatus.Successful : ScalingActivityStatus.Failed,
                failure is null ? null : $"The launcher failed to stop it: {failure.Message}");
        }), reconcile: true);
    }

    /// <summary>Stops an instance the group no longer tracks (launched after disposal), logging a failure.</summary>
    public async Task StopQuietlyAsync(LaunchedInstance launched)
    {
        try
        {
            await context.Launcher.StopAsync(launched, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nothing more can be done for an instance the group no longer tracks.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StopFailed(context.Logger, context.Name, launched.Id, ex);
        }
    }

    private static string InZone(string? zone) => zone is null ? "" : " in zone " + zone;

    private static partial class Log
    {
        [LoggerMessage(104, LogLevel.Warning, "Scaling group '{Group}': stopping instance {Instance} failed.", EventName = "StopFailed")]
        public static partial void StopFailed(ILogger logger, string group, string instance, Exception exception);

        [LoggerMessage(114, LogLevel.Warning, "Scaling group '{Group}': deregistering instance {Instance} failed; trying again while balancers still hold it.", EventName = "DeregisterFailed")]
        public static partial void DeregisterFailed(ILogger logger, string group, string instance, Exception exception);
    }
}
