namespace Loadstone.Scaling;

/// <summary>
/// Waits until the attached pool has let terminating instances go. The pool owns draining: when an endpoint leaves
/// the group's source, the pool stops routing to it and keeps it as <see cref="EndpointHealth.Draining"/> while
/// requests are in flight, for at most its own <see cref="LoadBalancingOptions.DeregistrationDelay"/>, then drops it.
/// An instance whose endpoint the pool no longer lists moves on to its terminate hooks and its stop; with no pool
/// attached, nothing can be in flight through Loadstone, so it moves on at once. A group shared by a fleet asks the
/// fleet's figures instead (<see cref="GroupContext.Metrics"/>): no client may still hold the endpoint. Called under the
/// group's lock.
/// </summary>
internal sealed class DeregistrationWait(GroupContext context, InstanceLifecycle lifecycle)
{
    /// <summary>Moves on every terminating instance the pool no longer holds.</summary>
    public void Progress(DateTimeOffset now)
    {
        foreach (var instance in context.Instances.Where(i => i.State == ScalingInstanceState.Terminating).ToList())
        {
            if (instance.Endpoint is { } endpoint && context.Metrics.Holds(endpoint.Id, instance.Activity?.StartTime ?? now))
            {
                lifecycle.RetryDeregistration(instance, now);
                continue;
            }

            lifecycle.OnDeregistered(instance, now);
        }
    }
}
