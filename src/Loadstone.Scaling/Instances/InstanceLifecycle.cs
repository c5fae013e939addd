using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// An instance's way through the group: launch (with its activity, a failed launch's retry delay and launch hooks),
/// entering service, termination (out of the endpoint source first), terminate hooks and the launcher's stop. The
/// launcher's calls run outside the group's lock and report back through <see cref="ChangeRunner.Run"/>.
/// </summary>
internal sealed partial class InstanceLifecycle(GroupContext context, LifecycleActions hooks, EndpointPublisher endpoints, MetricSampler sampler)
{
    private long _sequence;

    /// <summary>Launches wait until then after a failed launch.</summary>
    public DateTimeOffset LaunchBlockedUntil { get; private set; }

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
        context.Runner.Defer(() => _ = LaunchAsync(instance));
        return instance;
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
        if (wasInService)
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

    private async Task LaunchAsync(ScalingInstance instance)
    {
        LaunchedInstance launched;
        try
        {
            launched = await context.Launcher.LaunchAsync(instance.Zone, context.Disposed).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed launch is an activity outcome, recorded and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context.Runner.Run(now => OnLaunchFailed(instance, ex, now), reconcile: false);
            return;
        }

        if (!context.Runner.Run(now => OnLaunched(instance, launched, now), reconcile: true) && context.Disposed.IsCancellationRequested)
        {
            // Launched after the group was disposed: nobody else will stop it.
            await StopQuietlyAsync(launched).ConfigureAwait(false);
        }
    }

    private void OnLaunchFailed(ScalingInstance instance, Exception ex, DateTimeOffset now)
    {
        context.Instances.Remove(instance);
        instance.State = ScalingInstanceState.Terminated;
        if (instance.IsReplacement)
        {
            context.ReplacementsOwed++;
        }

        var delay = context.Options.LaunchRetryDelay;
        LaunchBlockedUntil = now + delay;
        context.Activities.End(instance.Activity!, now, ScalingActivityStatus.Failed, $"The launcher failed: {ex.Message} Launching again after {delay}.");
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
        context.Runner.Defer(() => _ = StopAsync(instance));
    }

    private async Task StopAsync(ScalingInstance instance)
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

        context.Runner.Run(now =>
        {
            instance.State = ScalingInstanceState.Terminated;
            context.Instances.Remove(instance);
            sampler.Forget(instance);
            context.Activities.End(instance.Activity!, now,
                failure is null ? ScalingActivityStatus.Successful : ScalingActivityStatus.Failed,
                failure is null ? null : $"The launcher failed to stop it: {failure.Message}");
        }, reconcile: true);
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
    }
}
