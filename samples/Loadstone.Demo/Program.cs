using System.Globalization;
using Loadstone;
using Loadstone.Demo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// The README's demo: four real backends in this process, traffic through every built-in strategy, a configuration
// reload, a membership change at run time, a failing backend, and the errors a mistake produces. Exits by itself.

const int Requests = 400;
const int Concurrency = 8;
const string Service = "catalog";

var inv = CultureInfo.InvariantCulture;
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ct = deadline.Token;

var descriptions = new Dictionary<string, string>(StringComparer.Ordinal)
{
    [LoadBalancingStrategies.RoundRobin] = "each endpoint in turn, ignoring weights",
    [LoadBalancingStrategies.Random] = "a random endpoint, in proportion to weights",
    [LoadBalancingStrategies.WeightedRoundRobin] = "each endpoint exactly its weight's share per cycle, interleaved",
    [LoadBalancingStrategies.LeastRequests] = "the fewest in-flight requests per unit of weight, by a full scan",
    [LoadBalancingStrategies.PowerOfTwoChoices] = "the default: the less loaded (in flight / weight) of two random endpoints",
    [LoadBalancingStrategies.PeakEwma] = "two random endpoints, the one with the lower latency x (in flight + 1) / weight",
    [LoadBalancingStrategies.FirstAvailable] = "ordered failover: everything to the first endpoint while it is there",
};

Console.WriteLine("Loadstone demo: client-side load balancing inside the HttpClient pipeline");
Console.WriteLine();

// Two zones; a2 has weight 3; b2 is ten times slower than the others.
var backends = new List<DemoBackend>
{
    await DemoBackend.StartAsync("a1", "zone-a", 1, TimeSpan.FromMilliseconds(5)),
    await DemoBackend.StartAsync("a2", "zone-a", 3, TimeSpan.FromMilliseconds(5)),
    await DemoBackend.StartAsync("b1", "zone-b", 1, TimeSpan.FromMilliseconds(5)),
    await DemoBackend.StartAsync("b2", "zone-b", 1, TimeSpan.FromMilliseconds(50)),
};
DemoBackend? late = null;

try
{
    Console.WriteLine($"Backends of service '{Service}' (real Kestrel servers on 127.0.0.1 in this process):");
    foreach (var b in backends)
    {
        Console.WriteLine(string.Format(inv, "    {0,-4} {1,-23} {2,-7} weight {3}, answers after {4} ms",
            b.Name, b.Address.ToString().TrimEnd('/'), b.Zone, b.Weight, b.Latency.TotalMilliseconds));
    }

    Console.WriteLine("    (zones are shown for orientation: zone-aware routing is not wired into the pool yet)");
    await WarmUpAsync(backends, ct);

    // 1. Every built-in strategy, registered in code.
    Console.WriteLine();
    Console.WriteLine($"1. Every built-in strategy, registered in code ({Requests} requests, {Concurrency} at a time each)");
    Console.WriteLine($"   services.AddLoadBalancedHttpClient(\"{Service}\", o => {{ o.Strategy = ...; o.Endpoints.Add(address, zone, weight); }})");
    var summary = new List<(string Strategy, TrafficResult Result)>();
    foreach (var strategy in LoadBalancingStrategies.BuiltIn)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient(Service, o =>
        {
            o.Strategy = strategy;
            foreach (var b in backends)
            {
                o.Endpoints.Add(b.Address.ToString(), b.Zone, b.Weight);
            }
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Console.WriteLine();
        Console.WriteLine($"  {strategy}: {descriptions[strategy]}");
        Traffic.PrintSpread(result, backends);
        summary.Add((strategy, result));
    }

    Console.WriteLine();
    Console.WriteLine("  Summary: where the weight-3 endpoint (a2) and the slow one (b2) ended up");
    Console.WriteLine("    strategy             a2 share  b2 share   p50 ms   p99 ms  mean ms  wall s");
    foreach (var (strategy, result) in summary)
    {
        Console.WriteLine(string.Format(inv, "    {0,-19}  {1,6:0.0} %  {2,6:0.0} %  {3,7:0.0}  {4,7:0.0}  {5,7:0.0}  {6,6:0.00}",
            strategy, result.ShareOf("a2"), result.ShareOf("b2"), result.Percentile(50), result.Percentile(99),
            result.MeanMs, result.Elapsed.TotalSeconds));
    }

    // 2. The same service from configuration, then a reload that takes the slow endpoint out of rotation.
    Console.WriteLine();
    Console.WriteLine($"2. From configuration: LoadBalancing:Services:{Service} (here an in-memory IConfiguration)");
    var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        [$"LoadBalancing:Services:{Service}:Strategy"] = LoadBalancingStrategies.WeightedRoundRobin,
    };
    for (var i = 0; i < backends.Count; i++)
    {
        settings[$"LoadBalancing:Services:{Service}:Endpoints:{i}:Address"] = backends[i].Address.ToString();
        settings[$"LoadBalancing:Services:{Service}:Endpoints:{i}:Zone"] = backends[i].Zone;
        settings[$"LoadBalancing:Services:{Service}:Endpoints:{i}:Weight"] = backends[i].Weight.ToString(inv);
    }

    foreach (var (key, value) in settings.Where(kv => !kv.Key.Contains(":Endpoints:1", StringComparison.Ordinal)
        && !kv.Key.Contains(":Endpoints:2", StringComparison.Ordinal)))
    {
        Console.WriteLine($"    {key} = {value}");
        if (key.EndsWith(":Endpoints:0:Weight", StringComparison.Ordinal))
        {
            Console.WriteLine("    ... (endpoints 1 and 2 alike)");
        }
    }

    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLoadBalancedHttpClient(Service);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Console.WriteLine();
        Console.WriteLine($"  {LoadBalancingStrategies.WeightedRoundRobin} from configuration:");
        Traffic.PrintSpread(result, backends);

        // A reload re-reads the section; the pool keeps its endpoint state and swaps in the new snapshot.
        configuration[$"LoadBalancing:Services:{Service}:Endpoints:3:Weight"] = "0";
        configuration.Reload();
        Console.WriteLine();
        Console.WriteLine($"  After a reload with LoadBalancing:Services:{Service}:Endpoints:3:Weight = 0 (b2 gets no new traffic):");
        result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Traffic.PrintSpread(result, backends, b => b.Name == "b2" ? 0 : b.Weight);
    }

    // 3. Membership changes at run time, without a container: a DynamicEndpointSource, a pool and a handler.
    Console.WriteLine();
    Console.WriteLine("3. Membership change at run time (no container: new ServicePool + new LoadBalancingHandler)");
    Console.WriteLine($"   A DynamicEndpointSource feeds the pool; strategy {LoadBalancingOptions.DefaultStrategy} (the default).");
    using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new InlineConsoleLoggerProvider()));
    var registry = new DynamicEndpointSource("registry", backends.Select(b => b.ToEndpoint()));
    var options = new LoadBalancingOptions();
    using (var pool = new ServicePool(Service, options, new ServicePoolDependencies { EndpointSources = [registry], LoggerFactory = loggerFactory }))
    using (var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())) { BaseAddress = new Uri($"http://{Service}") })
    {
        await pool.InitializeAsync(ct);
        var result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Console.WriteLine();
        Console.WriteLine("  Before: a1, a2, b1, b2");
        Traffic.PrintSpread(result, backends);

        late = await DemoBackend.StartAsync("c1", "zone-b", 1, TimeSpan.FromMilliseconds(5));
        Console.WriteLine();
        Console.WriteLine($"  registry.Update(...): b2 leaves, c1 ({late.Address.ToString().TrimEnd('/')}, started just now) joins");
        registry.Update(backends.Where(b => b.Name != "b2").Append(late).Select(b => b.ToEndpoint()));
        Console.WriteLine($"    pool.Endpoints: {string.Join(", ", pool.Endpoints.Select(s => s.Endpoint))}");

        result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Console.WriteLine();
        Console.WriteLine("  After: a1, a2, b1, c1");
        Traffic.PrintSpread(result, backends.Append(late));

        // A bad update (an empty set) is rejected and the pool keeps its last good endpoints.
        Console.WriteLine();
        Console.WriteLine("  registry.Update([]) (a bad update) is rejected; the last good set stays:");
        registry.Update([]);
        Console.WriteLine($"    pool.Endpoints still lists {pool.Endpoints.Count}: {string.Join(", ", pool.Endpoints.Select(s => s.Endpoint.Address.Port))}");
    }

    // 4. A backend starts failing: outlier detection ejects it, and retries on another endpoint hide the failures.
    Console.WriteLine();
    Console.WriteLine("4. A backend fails (default options: outlier detection and retries on, active probes off)");
    backends[2].StatusCode = 503;
    Console.WriteLine("   b1 now answers every request with 503 Service Unavailable.");
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient(Service, o =>
        {
            foreach (var b in backends)
            {
                o.Endpoints.Add(b.Address.ToString(), b.Zone, b.Weight);
            }
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var result = await Traffic.SendAsync(client, Requests, Concurrency, ct);
        Console.WriteLine();
        Console.WriteLine("  Successful answers per endpoint (b1's 503s were retried elsewhere):");
        Traffic.PrintSpread(result, backends);

        var status = provider.GetRequiredService<ServicePoolRegistry>().GetPool(Service).GetStatus();
        Console.WriteLine();
        Console.WriteLine("  pool.GetStatus():");
        Console.WriteLine("    endpoint  state        reason                  attempts  failed  ejections  routable  note");
        foreach (var e in status.Endpoints)
        {
            var name = backends.FirstOrDefault(b => b.Address.Port == e.Endpoint.Address.Port)?.Name ?? "?";
            Console.WriteLine(string.Format(inv, "    {0,-8}  {1,-11}  {2,-22}  {3,8}  {4,6}  {5,9}  {6,-8}  {7}",
                name, e.Health, e.Reason, e.TotalRequests, e.FailedRequests, e.Ejections, e.IsRoutable ? "yes" : "no",
                e.Note == EndpointRoutingNote.None ? "" : e.Note).TrimEnd());
        }
    }

    backends[2].StatusCode = 200;

    // 5. What a mistake looks like.
    Console.WriteLine();
    Console.WriteLine("5. Errors");
    try
    {
        var bad = new LoadBalancingOptions { Strategy = "Fastest", LatencyDecayTime = TimeSpan.Zero };
        bad.Endpoints.Add(backends[0].Address.ToString());
        using var pool = new ServicePool(Service, bad);
    }
    catch (OptionsValidationException ex)
    {
        Console.WriteLine($"  Invalid options fail at construction (or at host start with ValidateOnStart), listing every problem:");
        foreach (var failure in ex.Failures)
        {
            Console.WriteLine($"    {failure}");
        }
    }

    try
    {
        var drained = new LoadBalancingOptions();
        drained.Endpoints.Add(backends[0].Address.ToString(), weight: 0);
        using var pool = new ServicePool(Service, drained);
        pool.Acquire().Complete(RequestOutcome.Success);
    }
    catch (NoAvailableEndpointException ex)
    {
        Console.WriteLine($"  No endpoint to pick: {ex.GetType().Name} (Reason = {ex.Reason}):");
        Console.WriteLine($"    {ex.Message}");
    }

    Console.WriteLine();
    Console.WriteLine("Done.");
    return 0;
}
finally
{
    foreach (var b in late is null ? backends : backends.Append(late))
    {
        await b.DisposeAsync();
    }
}

// Compiles Kestrel's and the client's request paths before anything is measured.
static async Task WarmUpAsync(IEnumerable<DemoBackend> backends, CancellationToken ct)
{
    using var direct = new HttpClient();
    foreach (var b in backends)
    {
        for (var i = 0; i < 3; i++)
        {
            _ = await direct.GetStringAsync(new Uri(b.Address, "/warm-up"), ct);
        }
    }
}
