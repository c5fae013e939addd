using System.Text.RegularExpressions;
using Loadstone.Tests.Endpoints;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Loadstone.Tests.Configuration.ValidationMatrix;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Configuration;

/// <summary>
/// Invalid inputs through every channel (code, LoadBalancing:Services, the Services schema, LoadBalancing:Connections,
/// pushed and polled sources, reloads), each with the exact message it must produce. Start-up channels must fail
/// naming the service; sources and reloads must reject the update, log the message and keep the last good state.
/// </summary>
public sealed class ValidationMatrixTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly LoadBalancedEndpoint A = new("http://10.0.0.1:8080");
    private static readonly LoadBalancedEndpoint B = new("http://10.0.0.2:8080");

    /// <summary>Code given to AddLoadBalancedService("catalog", ...), by row name.</summary>
    private static readonly Dictionary<string, Action<LoadBalancingOptions>> s_code = new()
    {
        ["KeyFromCookie(\"\")"] = o => o.StickySessions.KeyFromCookie(""),
        ["KeyFromHeader(\" \")"] = o => o.StickySessions.KeyFromHeader(" "),
        ["KeyFromQueryParameter(\"\")"] = o => o.StickySessions.KeyFromQueryParameter(""),
        ["KeyFromRequestOption(new(\"\"))"] = o => o.StickySessions.KeyFromRequestOption(new HttpRequestOptionsKey<string>("")),
        ["KeyFrom(null)"] = o => o.StickySessions.KeyFrom(null!),
        ["KeyName without KeySource"] = o => o.StickySessions.KeyName = "session",
        ["KeySource out of range"] = o => o.StickySessions.KeySource = (StickyKeySource)42,
        ["BoundedLoadFactor NaN"] = o => o.StickySessions.BoundedLoadFactor = double.NaN,
        ["Endpoints.Add port 0"] = o => o.Endpoints.Add("http://10.0.0.9:0"),
        ["Endpoints.Add port 70000"] = o => o.Endpoints.Add("http://10.0.0.9:70000"),
        ["Endpoints.Add path"] = o => o.Endpoints.Add("/items"),
        ["Endpoints.Add weight -1"] = o => o.Endpoints.Add("http://10.0.0.9:8080", weight: -1),
        ["Endpoints.Add relative Uri"] = o => o.Endpoints.Add(new LoadBalancedEndpoint(new Uri("/items", UriKind.Relative))),
        ["Endpoints.Add duplicate"] = o => o.Endpoints.Add("HTTP://10.0.0.1:8080/"),
        ["Zones Affinity without LocalZone"] = o => o.Zones.Mode = ZoneRoutingMode.Affinity,
        ["Zones Mode out of range"] = o => o.Zones.Mode = (ZoneRoutingMode)9,
        ["CallerShares infinite"] = o => o.Zones.CallerShares["a"] = double.PositiveInfinity,
        ["Coordinate(-1, 3)"] = o => o.Subsetting.Coordinate(-1, 3),
        ["Coordinate(0, 0)"] = o => o.Subsetting.Coordinate(0, 0),
        ["Route method post"] = o => o.Routes.Add(Rule(r => r.Match.Methods.Add("post"))),
        ["Route path api"] = o => o.Routes.Add(Rule(r => r.Match.Paths.Add("api"))),
        ["Route host with space"] = o => o.Routes.Add(Rule(r => r.Match.Hosts.Add("a b"))),
        ["Active path health"] = o => o.HealthChecks.Active.Path = "health",
        ["Retries null"] = o => o.Retries = null!,
        ["Strategy empty"] = o => o.Strategy = "",
        ["LatencyDecayTime zero"] = o => o.LatencyDecayTime = TimeSpan.Zero,
    };

    public static TheoryData<string, string> Code => new()
    {
        { "KeyFromCookie(\"\")", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is empty; name the cookie that holds the sticky key." },
        { "KeyFromHeader(\" \")", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is empty; name the header that holds the sticky key." },
        { "KeyFromQueryParameter(\"\")", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is empty; name the query parameter that holds the sticky key." },
        { "KeyFromRequestOption(new(\"\"))", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is empty; name the request option that holds the sticky key." },
        { "KeyFrom(null)", $"{S}StickySessions.KeySource ({K}:StickySessions:KeySource) is Selector, which needs a key function, and none is set;…" },
        { "KeyName without KeySource", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is 'session' but StickySessions.KeySource ({K}:StickySessions:KeySource) is None, so sticky sessions are off; set KeySource to Header, Cookie, QueryParameter or RequestOption, or remove KeyName." },
        { "KeySource out of range", $"{S}StickySessions.KeySource ({K}:StickySessions:KeySource) is 42; use one of None, Header, Cookie, QueryParameter, RequestOption, Selector." },
        { "BoundedLoadFactor NaN", $"{S}StickySessions.BoundedLoadFactor ({K}:StickySessions:BoundedLoadFactor) is NaN; it must be between 1 and 10, or 0 to turn bounded loads off." },
        { "Endpoints.Add port 0", $"{S}the code that configures it threw ArgumentException: 'http://10.0.0.9:0' has port 0; a port must be between 1 and 65535." },
        { "Endpoints.Add port 70000", $"{S}the code that configures it threw ArgumentException: 'http://10.0.0.9:70000' has port 70000; a port must be between 1 and 65535." },
        { "Endpoints.Add path", $"{S}the code that configures it threw ArgumentException: '/items' is a path, not an absolute URI;…" },
        { "Endpoints.Add weight -1", $"{S}the code that configures it threw ArgumentOutOfRangeException: weight -1 is outside the range 0-10000." },
        { "Endpoints.Add relative Uri", $"{S}the code that configures it threw ArgumentException: '/items' is a path, not an absolute URI;…" },
        { "Endpoints.Add duplicate", "Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "Zones Affinity without LocalZone", $"{S}Zones.Mode ({K}:Zones:Mode) is Affinity, which needs the caller's zone, but Zones.LocalZone ({K}:Zones:LocalZone) is not set; set it (e.g. eu-west-1a), or use PerZone or CrossZone." },
        { "Zones Mode out of range", $"{S}Zones.Mode ({K}:Zones:Mode) is 9; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "CallerShares infinite", $"{S}Zones.CallerShares ({K}:Zones:CallerShares:a) is Infinity; it must be a finite number of at least 0." },
        { "Coordinate(-1, 3)", $"{S}Subsetting:ClientIndex ({K}:Subsetting:ClientIndex) is -1; it must be between 0 and Subsetting:ClientCount − 1 (2)." },
        { "Coordinate(0, 0)", $"{S}Subsetting:ClientCount ({K}:Subsetting:ClientCount) is 0; it must be between 1 and 1000000." },
        { "Route method post", $"{S}route 0: Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'post'; methods are matched exactly and request methods are upper-case, so it can never match: write 'POST'." },
        { "Route path api", $"{S}route 0: Match.Paths[0] ({K}:Routes:0:Match:Paths:0) is 'api'; request paths start with '/', so it can never match: write '/api'." },
        { "Route host with space", $"{S}route 0: Match.Hosts[0] ({K}:Routes:0:Match:Hosts:0) is 'a b'; a host pattern holds only letters, digits, '-', '.', '_' and the wildcards '*' and '?' (no spaces, schemes, ports or paths), so it can never match." },
        { "Active path health", $"{S}HealthChecks:Active:Path ({K}:HealthChecks:Active:Path) is 'health'; it must start with '/'." },
        { "Retries null", $"{S}Retries ({K}:Retries) must not be null." },
        { "Strategy empty", $"{S}Strategy ({K}:Strategy) is empty; use one of …" },
        { "LatencyDecayTime zero", $"{S}LatencyDecayTime ({K}:LatencyDecayTime) is 00:00:00; it must be between 00:00:00.1000000 and 00:10:00." },
    };

    /// <summary>An address given to the endpoint's constructor, in code or by a source; the message of the ArgumentException.</summary>
    public static TheoryData<string, string> Addresses => new()
    {
        { "http://10.0.0.1:0", "'http://10.0.0.1:0' has port 0; a port must be between 1 and 65535." },
        { "https://10.0.0.1:00", "'https://10.0.0.1:00' has port 0; a port must be between 1 and 65535." },
        { "http://10.0.0.1:70000", "'http://10.0.0.1:70000' has port 70000; a port must be between 1 and 65535." },
        { "http://10.0.0.1:99999999999", "'http://10.0.0.1:99999999999' has port 99999999999; a port must be between 1 and 65535." },
        { "https://[::1]:65536/api", "'https://[::1]:65536/api' has port 65536; a port must be between 1 and 65535." },
        { "http://admin:hunter2@10.0.0.1:70000", "'http://***@10.0.0.1:70000' has port 70000; a port must be between 1 and 65535." },
        { "tcp://10.0.0.1:0", "'tcp://10.0.0.1:0' has port 0; a port must be between 1 and 65535." },
        { "tcp://10.0.0.1", "'tcp://10.0.0.1' has no port; a tcp endpoint is written tcp://host:port." },
        { "/items", "'/items' is a path, not an absolute URI; write the endpoint's scheme and host first, such as http://10.0.0.5:8080/items (a path after the host is kept in front of each request's path)." },
        { "localhost:8080", "'localhost:8080' has no scheme; write it as http://localhost:8080 or https://localhost:8080." },
        { "catalog", "'catalog' is not an absolute URI such as http://10.0.0.5:8080." },
        { "ftp://10.0.0.1", "'ftp://10.0.0.1' has scheme 'ftp'; only http and https are supported." },
        { "http://10.0.0.1/#top", "'http://10.0.0.1/#top' has a query or fragment; an endpoint address may only have a path prefix." },
    };

    /// <summary>A set pushed with DynamicEndpointSource.Update, by row name.</summary>
    private static readonly Dictionary<string, LoadBalancedEndpoint?[]> s_sets = new()
    {
        ["[A, null]"] = [A, null],
        ["[null]"] = [null],
        ["[]"] = [],
        ["[A, A]"] = [A, A],
        ["[A, HTTP://10.0.0.1:8080/]"] = [A, new LoadBalancedEndpoint("HTTP://10.0.0.1:8080/")],
        ["[B, null, A, null]"] = [B, null, A, null],
    };

    public static TheoryData<string, string> Pushed => new()
    {
        { "[A, null]", "Endpoint source 'registry' of service 'catalog' returned null at index 1; every entry must be an endpoint." },
        { "[null]", "Endpoint source 'registry' of service 'catalog' returned null at index 0; every entry must be an endpoint." },
        { "[]", "Endpoint source 'registry' of service 'catalog' returned no endpoints; an empty update is rejected unless the source allows it (AllowsEmpty)." },
        { "[A, A]", "Endpoint source 'registry' of service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "[A, HTTP://10.0.0.1:8080/]", "Endpoint source 'registry' of service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "[B, null, A, null]", "Endpoint source 'registry' of service 'catalog' returned null at index 3; every entry must be an endpoint." },
    };

    /// <summary>What a polled source's delegate answers after its first (good) answer, by row name.</summary>
    private static readonly Dictionary<string, Func<IEnumerable<LoadBalancedEndpoint>>> s_polled = new()
    {
        ["null"] = () => null!,
        ["[A, null]"] = () => [A, null!],
        ["[]"] = () => [],
        ["[A, A]"] = () => [A, A],
        ["port 0"] = () => [A, new LoadBalancedEndpoint("http://10.0.0.9:0")],
        ["port 70000"] = () => [A, new LoadBalancedEndpoint("http://10.0.0.9:70000")],
        ["path"] = () => [new LoadBalancedEndpoint("/items")],
    };

    public static TheoryData<string, string> Polled => new()
    {
        { "null", "Endpoint source 'poller' of service 'catalog' returned null." },
        { "[A, null]", "Endpoint source 'poller' of service 'catalog' returned null at index 1; every entry must be an endpoint." },
        { "[]", "Endpoint source 'poller' of service 'catalog' returned no endpoints; an empty update is rejected unless the source allows it (AllowsEmpty)." },
        { "[A, A]", "Endpoint source 'poller' of service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "port 0", "Endpoint source 'poller' of service 'catalog' failed; the last good endpoints are kept. 'http://10.0.0.9:0' has port 0; a port must be between 1 and 65535." },
        { "port 70000", "Endpoint source 'poller' of service 'catalog' failed; the last good endpoints are kept. 'http://10.0.0.9:70000' has port 70000; a port must be between 1 and 65535." },
        { "path", "Endpoint source 'poller' of service 'catalog' failed; the last good endpoints are kept. '/items' is a path, not an absolute URI;…" },
    };

    [Fact]
    public void Matrix_HasAtLeastOneHundredInvalidInputs()
    {
        var rows = ValidationMatrix.Configuration.Count + ServiceDiscoverySchema.Count + ValidationMatrix.Connections.Count + Reload.Count
            + Code.Count + Addresses.Count + Pushed.Count + Polled.Count;

        Assert.InRange(rows, 100, int.MaxValue);
    }

    [Theory]
    [MemberData(nameof(Configuration), MemberType = typeof(ValidationMatrix))]
    [MemberData(nameof(ServiceDiscoverySchema), MemberType = typeof(ValidationMatrix))]
    public void Configuration_InvalidInput_StartupFailsWithTheMessage(string settings, string expected)
    {
        using var provider = Provider(Settings(settings, baseEndpoints: !ListsEndpoints(settings)));

        var failures = Failures(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"), "catalog");

        AssertReported(expected, failures, "catalog");
    }

    [Theory]
    [MemberData(nameof(Connections), MemberType = typeof(ValidationMatrix))]
    public void Connections_InvalidInput_StartupFailsWithTheMessage(string settings, string expected)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(Settings(settings, baseEndpoints: false)).Build());
        services.AddLoadBalancedConnections("cache", o =>
        {
            if (!settings.Contains(":Endpoints:", StringComparison.Ordinal))
            {
                o.Endpoints.Add("tcp://10.0.0.1:6379");
            }
        });
        using var provider = services.BuildServiceProvider();

        var failures = Failures(() => provider.GetRequiredKeyedService<ConnectionBalancer>("cache"), "cache");

        AssertReported(expected, failures, "cache");
    }

    [Theory]
    [MemberData(nameof(Code))]
    public void Code_InvalidInput_StartupFailsWithTheMessage(string code, string expected)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedService("catalog", o =>
        {
            o.Endpoints.Add(A);
            o.Endpoints.Add(B);
            s_code[code](o);
        });
        using var provider = services.BuildServiceProvider();

        var failures = Failures(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"), "catalog");

        AssertReported(expected, failures, "catalog");
    }

    [Theory]
    [MemberData(nameof(Addresses))]
    public void Constructor_InvalidAddress_ThrowsSayingWhy(string address, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Equal($"{expected} (Parameter 'address')", ex.Message);
    }

    [Theory]
    [InlineData("admin.v2")]
    [InlineData("my dashboard")]
    [InlineData("dash/board")]
    public void Constructor_NameThatCouldNeverBeRequested_ThrowsSayingWhy(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint("http://10.0.0.1:8080", name: name));

        Assert.Equal($"endpoint name '{name}' could never be requested (as http://_{name}.service): a name holds only letters, digits, '-' and '_'. (Parameter 'name')", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Pushed))]
    public async Task Pushed_InvalidSet_RejectedLoggedAndLastGoodKept(string set, string expected)
    {
        var logs = new FakeLogCollector();
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = new ServicePool("catalog", new LoadBalancingOptions(), new ServicePoolDependencies { EndpointSources = [source], LoggerFactory = logs.CreateFactory() });
        await pool.InitializeAsync().WaitAsync(Wait);

        source.Update(s_sets[set]!);

        Assert.True(SpinWait.SpinUntil(() => logs.CountOf("SourceUpdateRejected") == 1, Wait));
        var entry = logs.Entries.Single(e => e.Id.Name == "SourceUpdateRejected");
        Assert.Null(entry.Exception);
        AssertMatches(expected, entry.Message);
        Assert.Equal([A, B], pool.Endpoints.Select(e => e.Endpoint));
    }

    [Theory]
    [MemberData(nameof(Polled))]
    public async Task Polled_InvalidAnswer_RejectedLoggedAndLastGoodKept(string answer, string expected)
    {
        var logs = new FakeLogCollector();
        var time = TestClock.Create();
        var calls = 0;
        var source = EndpointSource.FromDelegate(
            "poller",
            _ => new ValueTask<IEnumerable<LoadBalancedEndpoint>>(Interlocked.Increment(ref calls) == 1 ? [A, B] : s_polled[answer]()),
            TimeSpan.FromSeconds(1),
            time);
        using var pool = new ServicePool("catalog", new LoadBalancingOptions(), new ServicePoolDependencies { EndpointSources = [source], LoggerFactory = logs.CreateFactory() });
        await pool.InitializeAsync().WaitAsync(Wait);

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(SpinWait.SpinUntil(() => logs.Entries.Any(e => e.Id.Name is "SourceUpdateRejected" or "SourceFailed"), Wait));
        var entry = logs.Entries.Single(e => e.Id.Name is "SourceUpdateRejected" or "SourceFailed");
        AssertMatches(expected, entry.Exception is null ? entry.Message : $"{entry.Message} {entry.Exception.Message.Replace(" (Parameter 'address')", "", StringComparison.Ordinal)}");
        Assert.IsNotType<NullReferenceException>(entry.Exception);
        Assert.Equal([A, B], pool.Endpoints.Select(e => e.Endpoint));
    }

    [Theory]
    [MemberData(nameof(Reload), MemberType = typeof(ValidationMatrix))]
    public void Reload_InvalidInput_RejectedLoggedAndLastGoodKept(string settings, string expected)
    {
        var good = Settings("Strategy=RoundRobin", baseEndpoints: true);
        var source = new ReloadableConfigurationSource(good);
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Add(source).Build());
        services.AddLogging(b => b.AddRecording(logs));
        services.AddLoadBalancedHttpClient("catalog");
        using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        // The reload adds a third endpoint beside the bad input: were it applied, the pool would have three.
        var bad = Settings(settings, baseEndpoints: true);
        bad.TryAdd($"{K}:Strategy", "RoundRobin");
        if (!settings.Contains("Endpoints:2", StringComparison.Ordinal))
        {
            bad["LoadBalancing:Services:catalog:Endpoints:2"] = "http://10.0.0.3:8080";
        }

        source.Provider.Replace(bad);

        var entry = Assert.Single(logs.Entries, e => e.Id.Name == "ReloadRejected");
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.StartsWith("Reloaded configuration of service 'catalog' was rejected; the current options are kept: ", entry.Message, StringComparison.Ordinal);
        AssertMatches(expected, entry.Message);
        Assert.Equal([A, B], pool.Endpoints.Select(e => e.Endpoint));
        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.StrategyName);
    }

    // A row that writes the service's endpoints itself gets no others.
    private static bool ListsEndpoints(string settings) =>
        settings.Split(" | ").Any(pair => pair.StartsWith("Endpoints", StringComparison.Ordinal));

    internal static Dictionary<string, string?> Settings(string settings, bool baseEndpoints)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (baseEndpoints && !settings.Contains("(no endpoints)", StringComparison.Ordinal))
        {
            data[$"{K}:Endpoints:0"] = A.Address.OriginalString;
            data[$"{K}:Endpoints:1"] = B.Address.OriginalString;
        }

        foreach (var pair in settings.Split(" | "))
        {
            if (pair == "(no endpoints)")
            {
                continue;
            }

            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = pair[..equals];
            data[key.StartsWith("Services:", StringComparison.Ordinal) || key.StartsWith("LoadBalancing:", StringComparison.Ordinal) ? key : $"{K}:{key}"] = pair[(equals + 1)..];
        }

        return data;
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLoadBalancedHttpClient("catalog");
        return services.BuildServiceProvider();
    }

    private static List<string> Failures(Action build, string service)
    {
        var ex = Assert.Throws<OptionsValidationException>(build);
        Assert.Equal(service, ex.OptionsName);
        return [.. ex.Failures];
    }

    /// <summary>The expected message is among the failures; every failure names the service; "has no endpoints" only when meant.</summary>
    private static void AssertReported(string expected, List<string> failures, string service)
    {
        Assert.True(failures.Any(f => Matches(expected, f)), $"Expected: {expected}\nFailures:\n{string.Join("\n", failures)}");
        Assert.All(failures, f => Assert.StartsWith($"Service '{service}'", f, StringComparison.Ordinal));
        if (!expected.Contains("has no endpoints", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(failures, f => f.Contains("has no endpoints", StringComparison.Ordinal));
        }
    }

    private static void AssertMatches(string expected, string message) =>
        Assert.True(message.Contains(expected, StringComparison.Ordinal) || Matches(expected, message, anchored: false), $"Expected: {expected}\nActual: {message}");

    // "…" in an expected message stands for any text; everything else must be as written.
    private static bool Matches(string expected, string actual, bool anchored = true)
    {
        var pattern = string.Join(".*", expected.Split('…').Select(Regex.Escape));
        return Regex.IsMatch(actual, anchored ? $"^{pattern}$" : pattern, RegexOptions.Singleline);
    }

    private static RoutingRule Rule(Action<RoutingRule> configure)
    {
        var rule = new RoutingRule { Priority = 1 };
        rule.Forward.Pool = "catalog";
        configure(rule);
        return rule;
    }
}
