namespace Loadstone.FleetSim;

/// <summary>Pools for a single-threaded simulation on a virtual clock.</summary>
internal static class SimPools
{
    /// <summary>
    /// A started pool whose control plane runs on the simulation's own thread, at the moment a request hands it work:
    /// the virtual clock is not thread-safe, and a seeded run must not depend on thread-pool timing.
    /// </summary>
    public static ServicePool Create(string name, LoadBalancingOptions options, TimeProvider clock, Random random)
    {
        var pool = new ServicePool(name, options, new ServicePoolDependencies { TimeProvider = clock, Random = random });
        pool.ControlPlane.RunsInline = true;
        pool.InitializeAsync().GetAwaiter().GetResult();
        return pool;
    }
}
