namespace Loadstone;

/// <summary>
/// One request's claim on an endpoint, from <see cref="ServicePool.Acquire"/> until <see cref="Complete"/>.
/// While held it counts as an in-flight request of the endpoint; completing it records latency and outcome.
/// </summary>
/// <remarks>Complete each lease exactly once. A lease is a small struct and costs no allocation.</remarks>
public readonly struct EndpointLease
{
    private readonly EndpointState _state;
    private readonly TimeProvider _timeProvider;
    private readonly PoolTelemetry? _telemetry;
    private readonly long _startTimestamp;

    internal EndpointLease(EndpointState state, TimeProvider timeProvider, PoolTelemetry? telemetry = null)
        : this(state, timeProvider, telemetry, timeProvider.GetTimestamp())
    {
    }

    /// <summary>A lease that starts at <paramref name="startTimestamp"/>, read by the caller just before (one clock read per pick).</summary>
    internal EndpointLease(EndpointState state, TimeProvider timeProvider, PoolTelemetry? telemetry, long startTimestamp)
    {
        _state = state;
        _timeProvider = timeProvider;
        _telemetry = telemetry;
        state.OnStart();
        _startTimestamp = startTimestamp;
    }

    /// <summary>When the lease started, in timestamp ticks of the pool's clock.</summary>
    internal long StartTimestamp => _startTimestamp;

    /// <summary>The chosen endpoint.</summary>
    public LoadBalancedEndpoint Endpoint => _state.Endpoint;

    /// <summary>The live state of the chosen endpoint.</summary>
    public EndpointState State => _state;

    /// <summary>Ends the lease: the request is no longer in flight, and its latency and outcome are recorded.</summary>
    /// <param name="outcome">How the request ended. <see cref="RequestOutcome.Canceled"/> records nothing but the end.</param>
    public void Complete(RequestOutcome outcome) => CompleteAt(outcome);

    /// <summary>Ends the lease as <see cref="Complete"/> does and returns the end timestamp it read.</summary>
    /// <param name="outcome">How the attempt ended.</param>
    /// <param name="attempt">
    /// The lease was one attempt of a request: when cancelled, its elapsed time still raises the latency average as a
    /// lower bound (a node slower than its callers' timeouts must not look fast).
    /// </param>
    internal long CompleteAt(RequestOutcome outcome, bool attempt = false)
    {
        var end = _timeProvider.GetTimestamp();
        _state.OnComplete(_startTimestamp, end, outcome, attempt);
        _telemetry?.RecordAttempt(_state, outcome, (double)(end - _startTimestamp) / _timeProvider.TimestampFrequency);
        return end;
    }
}
