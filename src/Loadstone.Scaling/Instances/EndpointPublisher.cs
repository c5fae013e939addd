namespace Loadstone.Scaling;

/// <summary>
/// The group's endpoint source: the endpoints of the in-service instances, in launch order. An update is deferred
/// until the group's lock is released, since the pools that watch the source take their own lock to apply it.
/// </summary>
internal sealed class EndpointPublisher(string group, ChangeRunner runner, Action published, bool enabled = true)
{
    private LoadBalancedEndpoint[] _published = [];

    /// <summary>The source pools watch; an empty list is a real answer (a group at 0 in service).</summary>
    public DynamicEndpointSource Source { get; } = new($"scaling-group:{group}") { AllowsEmpty = true };

    /// <summary>
    /// Publishes the in-service instances' endpoints if they changed, then calls the callback given at construction
    /// (outside the lock, after the pools have seen the update).
    /// </summary>
    public void Publish(IEnumerable<ScalingInstance> instances)
    {
        if (!enabled)
        {
            return; // the instances register themselves; the balancers read their registrations
        }

        var endpoints = instances.Where(i => i.State == ScalingInstanceState.InService).Select(i => i.Endpoint!).ToArray();
        if (endpoints.SequenceEqual(_published))
        {
            return;
        }

        _published = endpoints;
        runner.Defer(() =>
        {
            Source.Update(endpoints);
            published();
        });
    }
}
