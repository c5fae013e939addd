using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// Sticky sessions on the request path, for a key already bound (the steady state): <see cref="HashAndLookup"/> hashes
/// a 32-character key and follows its binding to a candidate index; <see cref="FromHeader"/> also reads the key from a
/// request header. Both should stay at 0 B.
/// </summary>
[MemoryDiagnoser]
public class StickyBenchmarks
{
    private const string Key = "3f9c2a7e-41b0-4c1d-9e8f-00a1b2c3"; // 32 characters

    private StickySessionRouter _router = null!;
    private StickyCandidates _candidates = null!;
    private HttpRequestMessage _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new StickySessionOptions().KeyFromHeader("X-Session");
        _router = new StickySessionRouter(new PoolTelemetry("catalog", LoadstoneInstruments.For(null)), options, TimeProvider.System);
        var ids = Enumerable.Range(0, 20).Select(i => $"http://10.0.0.{i + 1}:8080").ToArray();
        _candidates = _router.Prepare(ids);
        _request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        _request.Headers.Add("X-Session", Key);

        // Bind the key and a realistic number of others.
        for (var i = 0; i < 50_000; i++)
        {
            _router.Pick(StableHash.Hash($"other-session-{i}"), _candidates);
        }

        _router.Pick(_request, _candidates);
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark(Baseline = true)]
    public int HashAndLookup() => _router.Pick(StableHash.Hash(Key), _candidates);

    [Benchmark]
    public int FromHeader() => _router.Pick(_request, _candidates);
}

/// <summary>
/// What zone preference adds to a pick: <see cref="WithoutZones"/> draws one of 10 endpoints uniformly, as a random
/// strategy does; <see cref="WithZones"/> first draws a zone from a per-zone plan (3 zones, partial affinity) and then
/// an endpoint within it. The difference is the added cost.
/// </summary>
[MemoryDiagnoser]
public class ZoneBenchmarks
{
    private readonly Random _random = new(1);
    private ZonePlan _plan = null!;

    [GlobalSetup]
    public void Setup()
    {
        ZoneMember[] members =
        [
            .. Enumerable.Repeat(new ZoneMember("eu-west-1a", true), 3),
            .. Enumerable.Repeat(new ZoneMember("eu-west-1b", true), 4),
            .. Enumerable.Repeat(new ZoneMember("eu-west-1c", true), 3),
        ];
        _plan = ZonePlan.Create(new ZoneOptions { Mode = ZoneRoutingMode.Affinity, LocalZone = "eu-west-1b", LocalShare = 0.85 }, members);
    }

    [Benchmark(Baseline = true)]
    public int WithoutZones() => _random.Next(10);

    [Benchmark]
    public int WithZones()
    {
        var members = _plan.MembersOf(_plan.PickZone(_random));
        return members[_random.Next(members.Length)];
    }
}

/// <summary>
/// Routing rule evaluation: 10 rules of mixed conditions (host, path, header, method, query, with wildcards), and a
/// request that matches none of them, so all 10 are evaluated before the default rule applies (the worst case);
/// <see cref="WeightedForward"/> matches the last rule, a 90/10 split.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private readonly Random _random = new(1);
    private RoutingTable _table = null!;
    private HttpRequestMessage _noMatch = null!;
    private HttpRequestMessage _lastRule = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rules = new List<RoutingRule>();
        for (var i = 0; i < 9; i++)
        {
            var rule = new RoutingRule { Name = $"rule-{i}", Priority = (i + 1) * 10 };
            switch (i % 5)
            {
                case 0:
                    rule.Match.Paths.Add($"/api/v{i}/*");
                    rule.Match.Paths.Add($"/legacy{i}/*.json");
                    break;
                case 1:
                    rule.Match.Hosts.Add($"*.tenant{i}.example.com");
                    break;
                case 2:
                    rule.Match.Headers.Add(new HeaderMatch { Name = "X-Canary", Values = { $"group-{i}*" } });
                    break;
                case 3:
                    rule.Match.Methods.Add("DELETE");
                    rule.Match.Paths.Add("/orders/*");
                    break;
                default:
                    rule.Match.Query.Add(new QueryMatch { Key = "version", Values = { $"v{i}?" } });
                    break;
            }

            rule.Forward.Pool = $"pool-{i}";
            rules.Add(rule);
        }

        var canary = new RoutingRule { Name = "canary", Priority = 1000 };
        canary.Match.Paths.Add("/items*");
        canary.Match.Headers.Add(new HeaderMatch { Name = "X-Canary", Values = { "yes", "true" } });
        canary.Forward.Pools.Add(new WeightedPool { Pool = "catalog", Weight = 90 });
        canary.Forward.Pools.Add(new WeightedPool { Pool = "catalog-canary", Weight = 10 });
        rules.Add(canary);

        _table = RoutingTable.Build("catalog", rules, TimeProvider.System);
        _noMatch = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items/42?version=v1&page=2");
        _noMatch.Headers.Add("X-Canary", "group-x");
        _lastRule = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items/42?version=v1&page=2");
        _lastRule.Headers.Add("X-Canary", "true");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _noMatch.Dispose();
        _lastRule.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int TenRulesNoMatch() => _table.Route(_noMatch, _random);

    [Benchmark]
    public int WeightedForward() => _table.Route(_lastRule, _random);
}
