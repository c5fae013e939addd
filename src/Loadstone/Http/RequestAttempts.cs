namespace Loadstone;

/// <summary>
/// One request's attempts across its entries into the balancer, when a handler outside it sends the same request more
/// than once (the retries and hedges of Microsoft.Extensions.Http.Resilience). <see cref="RequestEntryHandler"/>, placed
/// outermost on such a client, attaches it to the request's options (a hedge's clone copies the reference, so hedges
/// share it). The send loop then makes one attempt per entry: on an endpoint no earlier entry tried, counted against
/// the pool's retry budget after the first entry, and classified against the caller's own token, so that a timeout of
/// the outer handler is recorded as the endpoint's timeout with its elapsed time, not as a cancellation.
/// </summary>
internal sealed class RequestAttempts(CancellationToken callerToken)
{
    private const int Remembered = 8;
    private static readonly HttpRequestOptionsKey<RequestAttempts> s_key = new("Loadstone.RequestAttempts");
    private readonly EndpointState?[] _tried = new EndpointState?[Remembered];
    private int _count;
    private int _entries;

    /// <summary>The token of the caller of the outermost handler: cancelled only when the caller gives up.</summary>
    public CancellationToken CallerToken { get; } = callerToken;

    public static void Attach(HttpRequestMessage request, CancellationToken callerToken) =>
        request.Options.Set(s_key, new RequestAttempts(callerToken));

    /// <summary>
    /// The send loop's entry: with <paramref name="outer"/> set (the handler has an outer resilience handler), finds the
    /// request's attempts, adds the endpoints earlier entries tried to <paramref name="tried"/>, and takes a retry from
    /// the pool's budget when this is not the first entry.
    /// </summary>
    /// <exception cref="RetryBudgetExceededException">A re-entry found the pool's retry budget spent.</exception>
    public static RequestEntry Enter(bool outer, HttpRequestMessage request, ServicePool pool, ref TriedEndpoints tried)
    {
        if (!outer || !request.Options.TryGetValue(s_key, out var attempts))
        {
            return default;
        }

        var number = Interlocked.Increment(ref attempts._entries);
        var count = Math.Min(Volatile.Read(ref attempts._count), Remembered);
        for (var i = 0; i < count; i++)
        {
            if (Volatile.Read(ref attempts._tried[i]) is { } state)
            {
                tried.Add(state);
            }
        }

        if (number > 1)
        {
            if (pool.Retry is { } retry && !retry.Budget.TryWithdraw())
            {
                throw new RetryBudgetExceededException(pool.ServiceName, number);
            }

            pool.Telemetry.RecordRetry();
        }

        return new RequestEntry(attempts, number);
    }

    private void Record(EndpointState state)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if (index < Remembered)
        {
            Volatile.Write(ref _tried[index], state);
        }
    }

    /// <summary>One entry of a request into the send loop; <c>default</c> when no outer handler re-sends it.</summary>
    internal readonly struct RequestEntry(RequestAttempts? attempts, int number)
    {
        /// <summary>The number of the first attempt of this entry: 1, or the entry's number across the request.</summary>
        public int FirstAttempt => attempts is null ? 1 : number;

        /// <summary>Whether an outer handler owns retries, so this entry makes a single attempt.</summary>
        public bool SingleAttempt => attempts is not null;

        public CancellationToken CallerToken(CancellationToken token) => attempts?.CallerToken ?? token;

        public void Record(EndpointState state) => attempts?.Record(state);
    }
}
