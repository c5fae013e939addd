namespace Loadstone;

/// <summary>
/// A service's routing rules compiled for the request path: sorted by priority, patterns precompiled, weighted
/// forwards turned into cumulative weights. Immutable apart from group-stickiness bindings; rebuild it (with
/// <see cref="Build"/>) when the rules change and publish it with one reference swap.
/// </summary>
internal sealed class RoutingTable
{
    private const int GroupStickinessMaxBindings = StickySessionOptions.DefaultMaxBindings;

    private readonly CompiledRule[] _rules;

    private readonly bool _needsHost;
    private readonly string[] _headerNames;

    private readonly PoolTelemetry? _telemetry;

    private RoutingTable(string[] pools, CompiledRule[] rules, bool needsHost, string[] headerNames, PoolTelemetry? telemetry)
    {
        _telemetry = telemetry;
        Pools = pools;
        _rules = rules;
        _needsHost = needsHost;
        _headerNames = headerNames;
        UsesGroupStickiness = rules.Any(r => r.Stickiness is not null);
    }

    /// <summary>Whether any rule keeps clients on a group, so the request's sticky key is worth reading. Set at build.</summary>
    public bool UsesGroupStickiness { get; }

    /// <summary>The distinct target pools (service names); index 0 is the default pool, the service itself.</summary>
    public string[] Pools { get; }

    /// <summary>The number of rules.</summary>
    public int RuleCount => _rules.Length;

    /// <summary>The rules' names (or priorities) in evaluation order, for logs.</summary>
    public IEnumerable<string> RuleNames => _rules.Select(r => r.Name);

    /// <summary>Compiles rules. They must be valid (see <see cref="RoutingRules.Validate"/>).</summary>
    /// <param name="defaultPool">The service's own name: where requests no rule matches go.</param>
    /// <param name="rules">The rules, in any order.</param>
    /// <param name="timeProvider">The clock for group stickiness.</param>
    /// <param name="previous">
    /// The table being replaced, if any: group-stickiness bindings of rules with the same name (or priority, when
    /// unnamed) and duration carry over, so a reload does not reshuffle sticky clients.
    /// </param>
    /// <param name="telemetry">Where rule matches are counted; <see langword="null"/> for nowhere.</param>
    public static RoutingTable Build(string defaultPool, IEnumerable<RoutingRule> rules, TimeProvider timeProvider, RoutingTable? previous = null,
        PoolTelemetry? telemetry = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultPool);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var pools = new List<string> { defaultPool };
        var compiled = new List<CompiledRule>();
        var needsHost = false;
        var headerNames = new List<string>();
        foreach (var rule in rules.OrderBy(r => r.Priority))
        {
            needsHost |= rule.Match.Hosts.Count > 0;
            var name = rule.Name ?? rule.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var conditions = CompileConditions(rule.Match, headerNames);
            var forward = rule.Forward;
            int[] targets;
            int[] cumulative;
            if (forward.Pools.Count == 0)
            {
                targets = [PoolIndex(pools, forward.Pool!)];
                cumulative = [1];
            }
            else
            {
                targets = new int[forward.Pools.Count];
                cumulative = new int[forward.Pools.Count];
                var sum = 0;
                for (var i = 0; i < targets.Length; i++)
                {
                    targets[i] = PoolIndex(pools, forward.Pools[i].Pool);
                    sum += forward.Pools[i].Weight;
                    cumulative[i] = sum;
                }
            }

            StickyBindingTable? stickiness = null;
            if (forward.Stickiness is { } duration && targets.Length > 1)
            {
                stickiness = previous?._rules.FirstOrDefault(r => r.Name == name && r.Stickiness?.Duration == duration)?.Stickiness
                    ?? new StickyBindingTable(GroupStickinessMaxBindings, duration, timeProvider);
            }

            compiled.Add(new CompiledRule(name, conditions, targets, cumulative, stickiness));
        }

        var table = new RoutingTable([.. pools], [.. compiled], needsHost, [.. headerNames], telemetry);
        foreach (var rule in table._rules)
        {
            rule.PoolHashes = rule.Targets.Select(t => StableHash.Hash(table.Pools[t])).ToArray();
        }

        return table;
    }

    /// <summary>
    /// Request path: the index in <see cref="Pools"/> of the pool for a request. Allocation-free, except a sticky
    /// key's first group binding.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="random">The random source for weighted splits.</param>
    /// <param name="keyHash">The request's sticky key hash, for group stickiness; <see langword="null"/> when it has none.</param>
    public int Route(HttpRequestMessage request, Random random, ulong? keyHash = null)
    {
        var rule = MatchRule(request);
        if (rule < 0)
        {
            return 0;
        }

        _telemetry?.RecordRuleMatch(_rules[rule].Name);
        return _rules[rule].Choose(random, keyHash);
    }

    /// <summary>The index (in evaluation order) of the first rule matching the request, or −1 for the default rule.</summary>
    public int MatchRule(HttpRequestMessage request)
    {
        if (_rules.Length == 0)
        {
            return -1;
        }

        var view = new RouteRequest(request, _needsHost, _headerNames);
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(ref view))
            {
                return i;
            }
        }

        return -1;
    }

    private static int PoolIndex(List<string> pools, string pool)
    {
        var index = pools.FindIndex(p => string.Equals(p, pool, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            return index;
        }

        pools.Add(pool);
        return pools.Count - 1;
    }

    private static RouteCondition[] CompileConditions(RouteMatch match, List<string> headerNames)
    {
        var conditions = new List<RouteCondition>();

        // Cheapest and most selective first: the outcome is the same, evaluation stops at the first miss.
        if (match.Methods.Count > 0)
        {
            conditions.Add(new MethodCondition([.. match.Methods]));
        }

        if (match.Hosts.Count > 0)
        {
            conditions.Add(new HostCondition(Compile(match.Hosts, ignoreCase: true)));
        }

        if (match.Paths.Count > 0)
        {
            conditions.Add(new PathCondition(Compile(match.Paths, ignoreCase: false)));
        }

        foreach (var header in match.Headers)
        {
            var nameIndex = headerNames.FindIndex(n => string.Equals(n, header.Name, StringComparison.OrdinalIgnoreCase));
            if (nameIndex < 0)
            {
                headerNames.Add(header.Name);
                nameIndex = headerNames.Count - 1;
            }

            conditions.Add(new HeaderCondition(nameIndex, Compile(header.Values, ignoreCase: true)));
        }

        foreach (var query in match.Query)
        {
            var key = query.Key is null ? null : new WildcardPattern(query.Key, ignoreCase: true);
            conditions.Add(new QueryCondition(key, Compile(query.Values, ignoreCase: true)));
        }

        return [.. conditions];
    }

    private static WildcardPattern[] Compile(IEnumerable<string> patterns, bool ignoreCase) =>
        patterns.Select(p => new WildcardPattern(p, ignoreCase)).ToArray();

    private sealed class CompiledRule(string name, RouteCondition[] conditions, int[] targets, int[] cumulative, StickyBindingTable? stickiness)
    {
        public string Name { get; } = name;

        public int[] Targets { get; } = targets;

        public StickyBindingTable? Stickiness { get; } = stickiness;

        public ulong[] PoolHashes { get; set; } = [];

        public bool Matches(ref RouteRequest request)
        {
            foreach (var condition in conditions)
            {
                if (!condition.Matches(ref request))
                {
                    return false;
                }
            }

            return true;
        }

        public int Choose(Random random, ulong? keyHash)
        {
            if (Targets.Length == 1)
            {
                return Targets[0];
            }

            if (Stickiness is { } table && keyHash is { } key)
            {
                var now = table.TimeProvider.GetTimestamp();
                if (table.TryGetEndpoint(key, now, out var poolHash))
                {
                    for (var i = 0; i < Targets.Length; i++)
                    {
                        // A pool whose weight dropped to 0 takes no new requests, sticky ones included.
                        if (PoolHashes[i] == poolHash && Weight(i) > 0)
                        {
                            return Targets[i];
                        }
                    }
                }

                var chosen = Draw(random);
                table.Bind(key, PoolHashes[chosen], now);
                return Targets[chosen];
            }

            return Targets[Draw(random)];
        }

        private int Weight(int i) => cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);

        private int Draw(Random random)
        {
            var draw = random.Next(cumulative[^1]);
            var i = 0;
            while (draw >= cumulative[i])
            {
                i++;
            }

            return i;
        }
    }
}
