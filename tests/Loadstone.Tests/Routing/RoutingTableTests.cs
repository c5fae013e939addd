using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Routing;

public sealed class RoutingTableTests
{
    private readonly FakeTimeProvider _time = new();

    private static RoutingRule Rule(int priority, string pool, Action<RouteMatch> match)
    {
        var rule = new RoutingRule { Name = $"r{priority}", Priority = priority };
        rule.Forward.Pool = pool;
        match(rule.Match);
        return rule;
    }

    private static RoutingRule Weighted(int priority, TimeSpan? stickiness, params (string Pool, int Weight)[] pools)
    {
        var rule = new RoutingRule { Name = $"w{priority}", Priority = priority };
        foreach (var (pool, weight) in pools)
        {
            rule.Forward.Pools.Add(new WeightedPool { Pool = pool, Weight = weight });
        }

        rule.Forward.Stickiness = stickiness;
        return rule;
    }

    private RoutingTable Table(params RoutingRule[] rules) => RoutingTable.Build("catalog", rules, _time);

    private static string PoolFor(RoutingTable table, HttpRequestMessage request, Random? random = null) =>
        table.Pools[table.Route(request, random ?? new Random(1))];

    private static HttpRequestMessage Get(string uri, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public static TheoryData<string, string?, bool> HostCases => new()
    {
        { "http://catalog/items", null, false },
        { "http://catalog/items", "api.example.com", true },
        { "http://catalog/items", "API.Example.COM", true },
        { "http://catalog/items", "api.example.com:8443", true },
        { "http://catalog/items", "example.com", false },
        { "http://catalog/items", "a.b.example.com", true },
        { "http://img7.example.org/x", null, true },
        { "http://img77.example.org/x", null, false },
    };

    [Theory]
    [MemberData(nameof(HostCases))]
    public void Route_HostCondition_CaseInsensitiveWildcardsWithoutPort(string uri, string? hostHeader, bool matches)
    {
        var table = Table(Rule(1, "web", m =>
        {
            m.Hosts.Add("*.example.com");
            m.Hosts.Add("img?.example.org");
        }));
        var request = Get(uri);
        request.Headers.Host = hostHeader;

        Assert.Equal(matches ? "web" : "catalog", PoolFor(table, request));
    }

    [Theory]
    [InlineData("http://catalog/api/items", true)]
    [InlineData("http://catalog/api/items?x=/other", true)]
    [InlineData("http://catalog/API/items", false)]
    [InlineData("http://catalog/img/a.png", true)]
    [InlineData("http://catalog/img/a.PNG", false)]
    [InlineData("http://catalog/items?path=/api/x", false)]
    [InlineData("http://catalog:8080/api/", true)]
    [InlineData("http://catalog", false)]
    [InlineData("http://catalog/v2/orders#/api/x", false)]
    public void Route_PathCondition_CaseSensitiveWildcardsOnThePathOnly(string uri, bool matches)
    {
        var table = Table(Rule(1, "v2", m =>
        {
            m.Paths.Add("/api/*");
            m.Paths.Add("/img/*.png");
        }));

        Assert.Equal(matches ? "v2" : "catalog", PoolFor(table, Get(uri)));
    }

    [Fact]
    public void Route_RootPathPattern_MatchesAnEmptyPath()
    {
        var table = Table(Rule(1, "root", m => m.Paths.Add("/")));

        Assert.Equal("root", PoolFor(table, Get("http://catalog")));
        Assert.Equal("root", PoolFor(table, Get("http://catalog?x=1")));
    }

    [Theory]
    [InlineData("X-Canary", "true", true)]
    [InlineData("x-canary", "TRUE", true)]
    [InlineData("X-CANARY", "beta-7", true)]
    [InlineData("X-Canary", "false", false)]
    [InlineData("X-Other", "true", false)]
    public void Route_HeaderCondition_NameAndValueCaseInsensitiveWithWildcards(string name, string value, bool matches)
    {
        var table = Table(Rule(1, "canary", m => m.Headers.Add(new HeaderMatch { Name = "X-Canary", Values = { "true", "Beta*" } })));

        Assert.Equal(matches ? "canary" : "catalog", PoolFor(table, Get("http://catalog/", (name, value))));
    }

    [Fact]
    public void Route_HeaderConditionOnContentHeader_Matches()
    {
        var table = Table(Rule(1, "json", m => m.Headers.Add(new HeaderMatch { Name = "content-type", Values = { "application/json*" } })));
        var request = new HttpRequestMessage(HttpMethod.Post, "http://catalog/")
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };

        Assert.Equal("json", PoolFor(table, request));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(11)]
    public void Route_ManyDistinctHeaderNames_EachIsFound(int which)
    {
        var rules = Enumerable.Range(0, 12)
            .Select(i => Rule(i + 1, $"pool-{i}", m => m.Headers.Add(new HeaderMatch { Name = $"X-H{i}", Values = { "on" } })))
            .ToArray();
        var table = Table(rules);

        Assert.Equal($"pool-{which}", PoolFor(table, Get("http://catalog/", ($"x-h{which}", "ON"))));
        Assert.Equal("catalog", PoolFor(table, Get("http://catalog/", ($"x-h{which}", "off"))));
    }

    [Theory]
    [InlineData("GET", true)]
    [InlineData("HEAD", true)]
    [InlineData("POST", false)]
    [InlineData("PURGE", true)]
    [InlineData("purge", false)]
    public void Route_MethodCondition_IsExact(string method, bool matches)
    {
        var table = Table(Rule(1, "reads", m =>
        {
            m.Methods.Add("GET");
            m.Methods.Add("HEAD");
            m.Methods.Add("PURGE");
        }));
        var request = new HttpRequestMessage(new HttpMethod(method), "http://catalog/");

        Assert.Equal(matches ? "reads" : "catalog", PoolFor(table, request));
    }

    [Theory]
    [InlineData("http://catalog/?version=v2", true)]
    [InlineData("http://catalog/?VERSION=V2beta", true)]
    [InlineData("http://catalog/?a=1&version=v2&b=2", true)]
    [InlineData("http://catalog/?version=v1", false)]
    [InlineData("http://catalog/?versionx=v2", false)]
    [InlineData("http://catalog/", false)]
    [InlineData("http://catalog/#?version=v2", false)]
    public void Route_QueryCondition_KeyAndValueCaseInsensitiveWithWildcards(string uri, bool matches)
    {
        var table = Table(Rule(1, "v2", m => m.Query.Add(new QueryMatch { Key = "version", Values = { "v2*" } })));

        Assert.Equal(matches ? "v2" : "catalog", PoolFor(table, Get(uri)));
    }

    [Theory]
    [InlineData("http://catalog/?a=debug", true)]
    [InlineData("http://catalog/?b=DEBUG", true)]
    [InlineData("http://catalog/?debug=1", false)]
    public void Route_QueryConditionWithoutKey_MatchesAnyParameterValue(string uri, bool matches)
    {
        var table = Table(Rule(1, "debug", m => m.Query.Add(new QueryMatch { Values = { "debug" } })));

        Assert.Equal(matches ? "debug" : "catalog", PoolFor(table, Get(uri)));
    }

    [Theory]
    [InlineData("GET", "/api/x", "true", true)]
    [InlineData("POST", "/api/x", "true", false)]
    [InlineData("GET", "/web/x", "true", false)]
    [InlineData("GET", "/api/x", "no", false)]
    [InlineData("HEAD", "/admin/x", "yes", true)]
    public void Route_SeveralConditions_AllMustHoldAndValuesAreAlternatives(string method, string path, string canary, bool matches)
    {
        var table = Table(Rule(1, "target", m =>
        {
            m.Methods.Add("GET");
            m.Methods.Add("HEAD");
            m.Paths.Add("/api/*");
            m.Paths.Add("/admin/*");
            m.Headers.Add(new HeaderMatch { Name = "X-Canary", Values = { "true", "yes" } });
        }));
        var request = new HttpRequestMessage(new HttpMethod(method), $"http://catalog{path}");
        request.Headers.Add("X-Canary", canary);

        Assert.Equal(matches ? "target" : "catalog", PoolFor(table, request));
    }

    [Fact]
    public void Route_OverlappingRules_LowestPriorityWinsWhateverTheOrder()
    {
        var table = Table(
            Rule(200, "broad", m => m.Paths.Add("/api/*")),
            Rule(5, "narrow", m => m.Paths.Add("/api/orders/*")),
            Rule(50_000, "everything", _ => { }));

        Assert.Equal("narrow", PoolFor(table, Get("http://catalog/api/orders/1")));
        Assert.Equal("broad", PoolFor(table, Get("http://catalog/api/items")));
        Assert.Equal("everything", PoolFor(table, Get("http://catalog/home")));
        Assert.Equal(["r5", "r200", "r50000"], table.RuleNames);
    }

    [Fact]
    public void Route_NoRules_GoesToTheServiceItself()
    {
        var table = Table();

        Assert.Equal("catalog", PoolFor(table, Get("http://catalog/x")));
        Assert.Equal(-1, table.MatchRule(Get("http://catalog/x")));
    }

    [Fact]
    public void Route_CanaryNinetyTen_SplitsWithinTolerance()
    {
        var table = Table(Weighted(1, null, ("catalog", 90), ("catalog-canary", 10)));
        var random = new Random(42);
        var request = Get("http://catalog/items");
        const int picks = 100_000;

        var canary = Enumerable.Range(0, picks).Count(_ => PoolFor(table, request, random) == "catalog-canary");

        // 10 % ± 0.5 % (more than 5 standard deviations of a binomial with n = 100,000).
        Assert.InRange(canary / (double)picks, 0.095, 0.105);
    }

    [Fact]
    public void Route_WeightChangedByRebuild_ShiftsOnTheNextRequests()
    {
        var random = new Random(7);
        var request = Get("http://catalog/items");
        var before = Table(Weighted(1, null, ("blue", 100), ("green", 0)));
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal("blue", PoolFor(before, request, random)));

        var after = RoutingTable.Build("catalog", [Weighted(1, null, ("blue", 0), ("green", 100))], _time, before);

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Equal("green", PoolFor(after, request, random)));
    }

    [Fact]
    public void Route_GroupStickiness_KeepsAKeyOnItsFirstPool()
    {
        var table = Table(Weighted(1, TimeSpan.FromHours(1), ("catalog", 50), ("catalog-canary", 50)));
        var random = new Random(3);
        var request = Get("http://catalog/items");

        for (var user = 0; user < 100; user++)
        {
            var key = StableHash.Hash($"user-{user}");
            var first = table.Route(request, random, key);
            Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(first, table.Route(request, random, key)));
        }

        // Keys still spread over both pools, and requests without a key are split afresh.
        var pools = Enumerable.Range(0, 100).Select(u => table.Route(request, random, StableHash.Hash($"user-{u}"))).ToHashSet();
        Assert.Equal(2, pools.Count);
        Assert.Equal(2, Enumerable.Range(0, 100).Select(_ => table.Route(request, random)).ToHashSet().Count);
    }

    [Fact]
    public void Route_GroupStickinessExpired_SplitsAfresh()
    {
        var table = Table(Weighted(1, TimeSpan.FromMinutes(10), ("a", 50), ("b", 50)));
        var random = new Random(11);
        var request = Get("http://catalog/");
        var keys = Enumerable.Range(0, 200).Select(u => StableHash.Hash($"u{u}")).ToArray();
        var first = keys.Select(k => table.Route(request, random, k)).ToArray();

        _time.Advance(TimeSpan.FromMinutes(11));
        var later = keys.Select(k => table.Route(request, random, k)).ToArray();

        Assert.Contains(Enumerable.Range(0, keys.Length), i => first[i] != later[i]);
    }

    [Fact]
    public void Route_GroupStickyPoolWeightDroppedToZero_MovesItsKeys()
    {
        var rules = new[] { Weighted(1, TimeSpan.FromHours(1), ("blue", 50), ("green", 50)) };
        var before = Table(rules);
        var random = new Random(5);
        var request = Get("http://catalog/");
        var keys = Enumerable.Range(0, 100).Select(u => StableHash.Hash($"u{u}")).ToArray();
        var first = keys.Select(k => before.Pools[before.Route(request, random, k)]).ToArray();
        Assert.Contains("green", first);

        var after = RoutingTable.Build("catalog", [Weighted(1, TimeSpan.FromHours(1), ("blue", 50), ("green", 0))], _time, before);

        Assert.All(keys, k => Assert.Equal("blue", after.Pools[after.Route(request, random, k)]));
    }

    [Fact]
    public void Build_WithPrevious_CarriesGroupBindingsOver()
    {
        var before = Table(Weighted(1, TimeSpan.FromHours(1), ("a", 50), ("b", 50)));
        var random = new Random(9);
        var request = Get("http://catalog/");
        var keys = Enumerable.Range(0, 100).Select(u => StableHash.Hash($"u{u}")).ToArray();
        var first = keys.Select(k => before.Pools[before.Route(request, random, k)]).ToArray();

        var reloaded = RoutingTable.Build("catalog", [Weighted(1, TimeSpan.FromHours(1), ("a", 10), ("b", 90))], _time, before);

        Assert.Equal(first, keys.Select(k => reloaded.Pools[reloaded.Route(request, random, k)]));
    }

    [Fact]
    public void Build_FromConfiguration_BindsTheDocumentedShape()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Routes:0:Name"] = "beta-users",
            ["Routes:0:Priority"] = "10",
            ["Routes:0:Match:Headers:0:Name"] = "X-Beta",
            ["Routes:0:Match:Headers:0:Values:0"] = "true",
            ["Routes:0:Forward:Pool"] = "catalog-beta",
            ["Routes:1:Name"] = "canary",
            ["Routes:1:Priority"] = "20",
            ["Routes:1:Match:Paths:0"] = "/api/*",
            ["Routes:1:Match:Methods:0"] = "GET",
            ["Routes:1:Match:Query:0:Key"] = "debug",
            ["Routes:1:Match:Query:0:Values:0"] = "*",
            ["Routes:1:Forward:Pools:0:Pool"] = "catalog",
            ["Routes:1:Forward:Pools:0:Weight"] = "90",
            ["Routes:1:Forward:Pools:1:Pool"] = "catalog-canary",
            ["Routes:1:Forward:Pools:1:Weight"] = "10",
            ["Routes:1:Forward:Stickiness"] = "01:00:00",
        }).Build();
        var holder = new RoutesHolder();

        configuration.Bind(holder, o => o.ErrorOnUnknownConfiguration = true);

        Assert.Empty(RoutingRules.Validate("catalog", holder.Routes, hasStickyKey: true));
        var table = Table([.. holder.Routes]);
        Assert.Equal(["catalog", "catalog-beta", "catalog-canary"], table.Pools);
        Assert.Equal("catalog-beta", PoolFor(table, Get("http://catalog/api/x", ("x-beta", "TRUE"))));
        Assert.Equal(TimeSpan.FromHours(1), holder.Routes[1].Forward.Stickiness);
        Assert.Equal(1, table.MatchRule(Get("http://catalog/api/x?debug=1")));
        Assert.Equal(-1, table.MatchRule(Get("http://catalog/api/x")));
    }

    private sealed class RoutesHolder
    {
        public IList<RoutingRule> Routes { get; } = [];
    }
}
