using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

[MemoryDiagnoser]
public class RoutingPartsBenchmarks
{
    private HttpRequestMessage _request = null!;
    private RoutingTable _paths = null!;
    private RoutingTable _headers = null!;
    private RoutingTable _query = null!;
    private RoutingTable _methods = null!;
    private RoutingTable _empty = null!;

    [GlobalSetup]
    public void Setup()
    {
        _request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items/42?version=v1&page=2");
        _request.Headers.Add("X-Canary", "group-x");
        _paths = Build(r => r.Match.Paths.Add("/api/v1/*"));
        _headers = Build(r => r.Match.Headers.Add(new HeaderMatch { Name = "X-Canary", Values = { "group-1*" } }));
        _query = Build(r => r.Match.Query.Add(new QueryMatch { Key = "version", Values = { "v9?" } }));
        _methods = Build(r => r.Match.Methods.Add("DELETE"));
        _empty = Build(r => r.Match.Methods.Add("GET"));
    }

    private static RoutingTable Build(Action<RoutingRule> configure)
    {
        var rules = new List<RoutingRule>();
        for (var i = 0; i < 10; i++)
        {
            var rule = new RoutingRule { Priority = i + 1 };
            configure(rule);
            rule.Forward.Pool = "p";
            rules.Add(rule);
        }

        return RoutingTable.Build("catalog", rules, TimeProvider.System);
    }

    [Benchmark] public int OneMatchingRule() => _empty.MatchRule(_request);
    [Benchmark] public int TenPaths() => _paths.MatchRule(_request);
    [Benchmark] public int TenHeaders() => _headers.MatchRule(_request);
    [Benchmark] public int TenQueries() => _query.MatchRule(_request);
    [Benchmark] public int TenMethods() => _methods.MatchRule(_request);
}
