namespace Loadstone;

/// <summary>
/// Sticky sessions for one pool: reads the key, follows the key's binding while its endpoint is a candidate, and
/// otherwise chooses by consistent hashing with bounded loads and binds. Lives as long as the pool (bindings survive
/// snapshot rebuilds); <see cref="Prepare"/> runs on each rebuild, <see cref="Pick(HttpRequestMessage, StickyCandidates)"/> per request.
/// </summary>
internal sealed class StickySessionRouter
{
    private readonly string _serviceName;
    private readonly PoolTelemetry _telemetry;
    private readonly StickyFailurePolicy _failurePolicy;
    private readonly double _boundedLoadFactor;

    public StickySessionRouter(PoolTelemetry telemetry, StickySessionOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _telemetry = telemetry;
        _serviceName = telemetry.ServiceName;
        Extractor = new StickyKeyExtractor(options);
        _failurePolicy = options.FailurePolicy;
        _boundedLoadFactor = options.BoundedLoadFactor;
        TimeProvider = timeProvider;
        Bindings = new StickyBindingTable(options.MaxBindings, options.Duration, timeProvider);
    }

    public StickyBindingTable Bindings { get; }

    /// <summary>Reads the sticky key of a request.</summary>
    public StickyKeyExtractor Extractor { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// Control plane: the lookup structures for a new candidate list (the routable endpoints, in candidate order).
    /// O(M) for the Maglev table (M ≥ 65,537); call it when the candidates change, not per request.
    /// </summary>
    /// <param name="endpointIds">The candidates' <see cref="LoadBalancedEndpoint.Id"/>s, in candidate order; not empty.</param>
    /// <param name="weights">Their weights, or <see langword="null"/> for equal weights.</param>
    public StickyCandidates Prepare(IReadOnlyList<string> endpointIds, IReadOnlyList<double>? weights = null)
    {
        var table = MaglevTable.Build(endpointIds, weights);
        var counters = new KeyCount[table.Count];
        var indexById = new Dictionary<ulong, int>(table.Count);
        for (var i = 0; i < counters.Length; i++)
        {
            counters[i] = Bindings.CounterFor(table.IdHashes[i]);
            indexById[table.IdHashes[i]] = i;
        }

        return new StickyCandidates(table, counters, indexById);
    }

    /// <summary>The 64-bit hash of the request's sticky key (for group stickiness of routing rules); <see langword="false"/> when it has none.</summary>
    public bool TryGetKeyHash(HttpRequestMessage request, out ulong keyHash) => Extractor.TryGetKeyHash(request, out keyHash);

    /// <summary>
    /// Request path: the candidate index for the request's key, or −1 when it has no key (balance it normally).
    /// </summary>
    /// <exception cref="StickyEndpointUnavailableException">The bound endpoint is gone and the policy is Fail.</exception>
    public int Pick(HttpRequestMessage request, StickyCandidates candidates)
    {
        if (Extractor.TryGetKeyHash(request, out var keyHash))
        {
            return Pick(keyHash, candidates);
        }

        _telemetry.RecordStickyDecision("none");
        return -1;
    }

    /// <summary>Request path: the candidate index for a key hash, binding it if needed.</summary>
    /// <exception cref="StickyEndpointUnavailableException">The bound endpoint is gone and the policy is Fail.</exception>
    public int Pick(ulong keyHash, StickyCandidates candidates)
    {
        var now = TimeProvider.GetTimestamp();
        var found = Bindings.TryGetEndpoint(keyHash, now, out var endpointHash);
        if (found)
        {
            if (candidates.TryGetIndex(endpointHash, out var bound))
            {
                _telemetry.RecordStickyDecision("bound");
                return bound;
            }

            if (_failurePolicy == StickyFailurePolicy.Fail)
            {
                Bindings.Remove(keyHash);
                _telemetry.RecordStickyDecision("failed");
                throw new StickyEndpointUnavailableException(_serviceName, keyHash);
            }
        }

        var index = Choose(keyHash, candidates);
        if (found)
        {
            // Redistribute: the bound endpoint is gone; rebind and stay.
            Bindings.Bind(keyHash, candidates.IdHashes[index], now);
            _telemetry.RecordStickyDecision("rebound");
            return index;
        }

        _telemetry.RecordStickyDecision("new");

        // A concurrent first request of the same key may have bound it already: follow that binding.
        Bindings.BindIfAbsent(keyHash, candidates.IdHashes[index], now, out var boundHash);
        return boundHash != candidates.IdHashes[index] && candidates.TryGetIndex(boundHash, out var winner) ? winner : index;
    }

    /// <summary>Where consistent hashing puts a key now, without binding it.</summary>
    public int Choose(ulong keyHash, StickyCandidates candidates) => _boundedLoadFactor > 0
        ? candidates.Table.LookupBounded(keyHash, new CounterLoads(candidates.Loads, Bindings.Count), _boundedLoadFactor)
        : candidates.Table.Lookup(keyHash);

    private readonly struct CounterLoads(KeyCount[] counters, int total) : IEndpointLoads
    {
        public int this[int index] => Volatile.Read(ref counters[index].Value);

        public int Total => total;
    }
}

/// <summary>The sticky lookup structures for one candidate list; immutable, built by <see cref="StickySessionRouter.Prepare"/>.</summary>
internal sealed class StickyCandidates
{
    private readonly Dictionary<ulong, int> _indexById;

    internal StickyCandidates(MaglevTable table, KeyCount[] loads, Dictionary<ulong, int> indexById)
    {
        Table = table;
        Loads = loads;
        _indexById = indexById;
    }

    public MaglevTable Table { get; }

    /// <summary>The live binding counters of the candidates, by index.</summary>
    public KeyCount[] Loads { get; }

    /// <summary>The stable hash of each candidate's id, by index.</summary>
    public ulong[] IdHashes => Table.IdHashes;

    /// <summary>The candidate index of an endpoint id hash, when that endpoint is a candidate.</summary>
    public bool TryGetIndex(ulong endpointHash, out int index) => _indexById.TryGetValue(endpointHash, out index);
}
