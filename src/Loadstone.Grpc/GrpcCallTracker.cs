using Grpc.Net.Client.Balancer;

namespace Loadstone.Grpc;

/// <summary>
/// One gRPC call's lease on an endpoint, from the pick until the call ends. Grpc.Net.Client reports the end of the HTTP
/// request (<see cref="Complete"/>, at the response headers), which for a streaming call is its beginning; when a
/// <see cref="GrpcCallTrackingHandler"/> is in the channel's handler chain, it takes the call over and completes the lease
/// when the response has been read to its end (with the trailers' <c>grpc-status</c>) or abandoned.
/// </summary>
internal sealed class GrpcCallTracker(EndpointLease lease) : ISubchannelCallTracker
{
    private static readonly HttpRequestOptionsKey<GrpcCallTracker> s_key = new("Loadstone.GrpcCallTracker");
    private int _owned;
    private int _completed;

    public EndpointLease Lease => lease;

    /// <summary>Makes the tracker findable by the handler that sends the call's request.</summary>
    public void Attach(HttpRequestMessage request) => request.Options.Set(s_key, this);

    /// <summary>The tracker of the call whose request this is, claimed so that only the end of the call completes it.</summary>
    public static GrpcCallTracker? Claim(HttpRequestMessage request)
    {
        if (!request.Options.TryGetValue(s_key, out var tracker) || Interlocked.Exchange(ref tracker._owned, 1) != 0)
        {
            return null;
        }

        return tracker;
    }

    public void Start()
    {
    }

    /// <summary>Grpc.Net.Client's report, at the response headers or on failure; ignored when a handler owns the call.</summary>
    public void Complete(CompletionContext context)
    {
        if (Volatile.Read(ref _owned) == 0)
        {
            Finish(context.Error is null ? RequestOutcome.Success : OutcomeClassifier.FromException(context.Error, CancellationToken.None));
        }
    }

    /// <summary>Completes the lease once; later calls do nothing.</summary>
    public void Finish(RequestOutcome outcome)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            lease.Complete(outcome);
        }
    }
}
