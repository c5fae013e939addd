using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using GrpcPickContext = Grpc.Net.Client.Balancer.PickContext;

namespace Loadstone.Grpc;

/// <summary>
/// The <c>loadstone</c> load-balancing policy: Grpc.Net.Client keeps one subchannel (connection) per endpoint of the
/// pool and tracks its connectivity; Loadstone chooses the endpoint of each call (strategy, health, outlier detection,
/// slow start, zones, stickiness from the call's headers) and holds a lease on it until the call ends.
/// </summary>
internal sealed class LoadstoneBalancer(IChannelControlHelper controller, ILoggerFactory loggerFactory)
    : SubchannelsLoadBalancer(controller, loggerFactory)
{
    internal static readonly BalancerAttributesKey<ServicePool> PoolKey = new("Loadstone.Pool");
    internal static readonly BalancerAttributesKey<string> EndpointKey = new("Loadstone.EndpointId");

    protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
    {
        ServicePool? pool = null;
        var ready = new Dictionary<string, Subchannel>(readySubchannels.Count, StringComparer.Ordinal);
        foreach (var subchannel in readySubchannels)
        {
            if (subchannel.CurrentAddress?.Attributes is { } attributes
                && attributes.TryGetValue(PoolKey, out var owner) && attributes.TryGetValue(EndpointKey, out var id))
            {
                pool ??= owner;
                ready[id] = subchannel;
            }
        }

        if (pool is null)
        {
            throw new InvalidOperationException($"The '{GrpcLoadBalancing.PolicyName}' policy needs the '{GrpcLoadBalancing.Scheme}' resolver: use an address such as {GrpcLoadBalancing.Scheme}:///catalog.");
        }

        // Members whose connection is not ready (connecting, or failed) are avoided by every pick of this picker, as
        // gRPC's own policies use ready subchannels only; a new picker comes with each connectivity change.
        var notReady = pool.Endpoints.Where(s => s.Health != EndpointHealth.Draining && !ready.ContainsKey(s.Endpoint.Id)).ToArray();
        return new Picker(pool, ready, notReady, [.. readySubchannels]);
    }

    /// <summary>Picks through the pool among the endpoints whose connection is ready; leases the endpoint for the call.</summary>
    private sealed class Picker(ServicePool pool, Dictionary<string, Subchannel> ready, EndpointState[] notReady, Subchannel[] readyList)
        : SubchannelPicker
    {
        private const int Attempts = 3;
        private int _next;

        public override PickResult Pick(GrpcPickContext context)
        {
            var pick = new Loadstone.PickContext(context.Request);
            var avoid = default(TriedEndpoints);
            foreach (var state in notReady)
            {
                avoid.Add(state);
            }

            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                EndpointLease lease;
                try
                {
                    lease = pool.AcquireAttempt(null, ref pick, avoid);
                }
                catch (NoAvailableEndpointException ex)
                {
                    return PickResult.ForFailure(new Status(StatusCode.Unavailable, ex.Message, ex));
                }

                if (ready.TryGetValue(lease.Endpoint.Id, out var subchannel))
                {
                    var tracker = new GrpcCallTracker(lease);
                    if (context.Request is { } request)
                    {
                        tracker.Attach(request);
                    }

                    return PickResult.ForSubchannel(subchannel, tracker);
                }

                // Only the healthy ones were not ready, or more endpoints are down than are avoided inline: ask again.
                avoid.Add(lease.State);
                lease.Complete(RequestOutcome.Canceled);
            }

            // The pool keeps choosing endpoints whose connections are not ready: use a ready one, without a lease.
            return PickResult.ForSubchannel(readyList[(int)((uint)Interlocked.Increment(ref _next) % (uint)readyList.Length)]);
        }
    }
}
