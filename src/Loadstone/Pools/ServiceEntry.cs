namespace Loadstone;

/// <summary>
/// A logical service as the handler meets it: its pool, and its routing rules (with their group stickiness), which may
/// forward a request to another service's pool. Owned by the <see cref="ServicePoolRegistry"/>; the rules are rebuilt
/// when the service's options are reloaded, keeping group bindings of unchanged rules.
/// </summary>
internal sealed class ServiceEntry
{
    private volatile RoutingTable? _routing;

    public ServiceEntry(ServicePool pool)
    {
        Pool = pool;
        RebuildRouting();
    }

    public ServicePool Pool { get; }

    /// <summary>The compiled routing rules, or null when the service has none.</summary>
    public RoutingTable? Routing => _routing;

    /// <summary>Recompiles the routing rules from the pool's current options.</summary>
    public void RebuildRouting()
    {
        var routes = Pool.Options.Routes;
        _routing = routes.Count > 0 ? RoutingTable.Build(Pool.ServiceName, routes, Pool.TimeProvider, _routing, Pool.Telemetry) : null;
    }

    /// <summary>
    /// Request path: the pool a request goes to, after routing rules; this service's own pool when no rule forwards
    /// elsewhere. The sticky key is read only when a rule keeps clients on a group.
    /// </summary>
    /// <exception cref="NoAvailableEndpointException">A rule forwards to a service the registry does not know.</exception>
    public ServicePool SelectTarget(ServicePoolRegistry registry, ref PickContext context)
    {
        var table = _routing;
        if (table is null || context.Request is not { } request)
        {
            return Pool;
        }

        ulong? keyHash = table.UsesGroupStickiness && Pool.StickyRouter is { } sticky && context.TryGetKeyHash(sticky.Extractor, out var hash)
            ? hash
            : null;
        var target = table.Route(request, Pool.Random, keyHash);
        if (target == 0)
        {
            return Pool;
        }

        var name = table.Pools[target];
        return registry.TryGetPool(name, out var targetPool)
            ? targetPool
            : throw new NoAvailableEndpointException(Pool.ServiceName, NoAvailableEndpointReason.NoMatchingEndpoint,
                $"A routing rule forwards to service '{name}', which is not configured.");
    }
}
