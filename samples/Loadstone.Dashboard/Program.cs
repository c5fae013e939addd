using Loadstone;
using Loadstone.Dashboard;
using Loadstone.Scaling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

// A live dashboard of two load-balanced services while a scripted scenario runs against local Kestrel backends.
// "catalog" has four fixed backends: one slows, another answers 500s and is ejected, a third dies (two down: the pool
// fails open), then they recover. "search" is fed by a scaling group (1 to 5 in-process backends, target tracking on
// in-flight requests per instance): its load rises, the group scales out, the load falls, the group scales in and
// drains. Exits by itself after about 30 s. Without a terminal (CI, redirected output) it prints plain-text frames
// instead of redrawing.

const string Catalog = "catalog";
const string Search = "search";
var scenarioLength = TimeSpan.FromSeconds(30);
var interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

var backends = new[]
{
    await ScenarioBackend.StartAsync("catalog-1", "zone-a"),
    await ScenarioBackend.StartAsync("catalog-2", "zone-a"),
    await ScenarioBackend.StartAsync("catalog-3", "zone-b"),
    await ScenarioBackend.StartAsync("catalog-4", "zone-b"),
};

// Every search instance answers after 200 ms, so n requests/s keep n × 0.2 requests in flight: with a target of 2 per
// instance, 5/s needs 1 instance, 20/s needs 2 and 50/s needs 5.
var launcher = new KestrelInstanceLauncher(Search) { Latency = TimeSpan.FromMilliseconds(200) };
const double TargetInFlight = 2;

var events = new EventFeed(DateTimeOffset.UtcNow);
var services = new ServiceCollection();
services.AddLogging(b => b.AddProvider(events).SetMinimumLevel(LogLevel.Information));
services.AddLoadBalancedHttpClient(Catalog, o =>
{
    o.Strategy = LoadBalancingStrategies.PeakEwma;
    foreach (var backend in backends)
    {
        o.Endpoints.Add(backend.Address, zone: backend.Zone);
    }

    o.HealthChecks.Active.Enabled = true;
    o.HealthChecks.Active.StartEagerly = true;
    o.HealthChecks.Active.Path = "/health";
    o.HealthChecks.Active.Interval = TimeSpan.FromSeconds(1);
    o.HealthChecks.Active.Timeout = TimeSpan.FromMilliseconds(500);
    o.HealthChecks.Passive.BaseEjectionTime = TimeSpan.FromSeconds(5);
    o.HealthChecks.FailOpen.MinimumHealthyPercent = 60; // two of four down is too few: route to all
    o.SlowStart.Window = TimeSpan.FromSeconds(30);
    o.Retries.StatusCodes = "500,502-504"; // a 500 is retried on another endpoint too, so callers rarely see one
}).ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(5));

services.AddLoadBalancedHttpClient(Search, o =>
{
    o.Strategy = LoadBalancingStrategies.LeastRequests;
    o.HealthChecks.Active.Enabled = true; // a new instance is Initial until its first probe passes
    o.HealthChecks.Active.StartEagerly = true;
    o.HealthChecks.Active.Path = "/health";
    o.HealthChecks.Active.Interval = TimeSpan.FromSeconds(1);
    o.HealthChecks.Active.Timeout = TimeSpan.FromMilliseconds(800);
    o.DeregistrationDelay = TimeSpan.FromSeconds(5); // a removed instance drains for up to 5 s (less once idle)
}).ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(5));
services.AddScalingGroup(Search, o =>
{
    o.Group.MinSize = 1;
    o.Group.MaxSize = 5;
    o.Group.AvailabilityZones.Add("zone-a");
    o.Group.AvailabilityZones.Add("zone-b");
    o.Group.ReconcileInterval = TimeSpan.FromMilliseconds(250);
    o.Group.InstanceWarmup = TimeSpan.FromSeconds(2);
    o.Group.Policies.Add(new TargetTrackingScalingPolicy
    {
        Name = "in-flight",
        Metric = ScalingMetric.AverageInFlightRequests,
        TargetValue = TargetInFlight,
        Period = TimeSpan.FromSeconds(1), // seconds instead of minutes, so it acts within the scenario
        ScaleOutEvaluationPeriods = 2,
        ScaleInEvaluationPeriods = 3,
    });
}).UseLauncher(_ => launcher); // the container disposes it after the group

await using var provider = services.BuildServiceProvider();
var registry = provider.GetRequiredService<ServicePoolRegistry>();
var factory = provider.GetRequiredService<IHttpClientFactory>();
var catalogPool = registry.GetPool(Catalog);
await catalogPool.InitializeAsync();

// Without a host nothing starts the group: attach the pool (target tracking reads its in-flight counts; a terminating
// instance is stopped once the pool has drained it) and start it.
var group = provider.GetRequiredKeyedService<ScalingGroup>(Search);
var searchPool = registry.GetPool(Search);
await searchPool.InitializeAsync();
group.AttachPool(searchPool);
group.Start();

// Endpoints start Initial until their first probe passes, and the group launches its first instance: begin once the
// catalog's four and the search instance are healthy (or after 5 s at most).
for (var wait = 0; wait < 50 && (catalogPool.GetStatus().Endpoints.Any(e => e.Health != EndpointHealth.Healthy)
    || !searchPool.GetStatus().Endpoints.Any(e => e.Health == EndpointHealth.Healthy)); wait++)
{
    await Task.Delay(100);
}

var catalogLoad = new LoadGenerator(factory.CreateClient(Catalog), requestsPerSecond: 20);
var searchLoad = new LoadGenerator(factory.CreateClient(Search), requestsPerSecond: 5);
var script = new (double At, string Service, string Phase, Func<Task> Act)[]
{
    (0, Catalog, "steady: 20 requests/s over four healthy endpoints", () => Task.CompletedTask),
    (0, Search, "steady: 5 requests/s, 1 in flight, one instance", () => Task.CompletedTask),
    (4, Catalog, "catalog-2 slows to 250 ms: Peak EWMA moves traffic away", () =>
    {
        backends[1].Latency = TimeSpan.FromMilliseconds(250);
        return Task.CompletedTask;
    }),
    (5, Search, "load rises to 20/s: 4 in flight on one instance, target 2: scale out", () =>
    {
        searchLoad.RequestsPerSecond = 20;
        return Task.CompletedTask;
    }),
    (8, Catalog, "catalog-3 answers 500: ejected by outlier detection, then failing health checks", () =>
    {
        backends[2].StatusCode = 500;
        return Task.CompletedTask;
    }),
    (11, Search, "load rises to 50/s: 10 in flight, 5 per instance: scale out to the max", () =>
    {
        searchLoad.RequestsPerSecond = 50;
        return Task.CompletedTask;
    }),
    (13, Catalog, "catalog-2 dies (connection refused): two of four healthy, the pool fails open", backends[1].StopAsync),
    (18, Catalog, "recovery: catalog-2 restarts, catalog-3 answers 200; load rises to 60/s; slow start ramps them up", async () =>
    {
        backends[1].Latency = TimeSpan.FromMilliseconds(10);
        backends[2].StatusCode = 200;
        await backends[1].RestartAsync();
        catalogLoad.RequestsPerSecond = 60;
    }),
    (20, Search, "load falls to 8/s: 0.3 in flight per instance: scale in; each instance drains before it stops", () =>
    {
        searchLoad.RequestsPerSecond = 8;
        return Task.CompletedTask;
    }),
    (23, Catalog, "load falls to 10 requests/s", () =>
    {
        catalogLoad.RequestsPerSecond = 10;
        return Task.CompletedTask;
    }),
};

var started = DateTimeOffset.UtcNow;
var pools = new[]
{
    new PoolView(Catalog, catalogPool, () => backends, catalogLoad),
    new PoolView(Search, searchPool, () => launcher.Backends, searchLoad),
};
var scaling = new ScalingView(group, FormattableString.Invariant($"target tracking: average in-flight requests per instance, target {TargetInFlight}"), started);
var view = new DashboardView(pools, scaling, events, scenarioLength);
using var stop = new CancellationTokenSource(scenarioLength + TimeSpan.FromSeconds(10));
var traffic = Task.WhenAll(catalogLoad.RunAsync(stop.Token), searchLoad.RunAsync(stop.Token));
var next = 0;
var phases = new Dictionary<string, string>(StringComparer.Ordinal);

async Task<bool> TickAsync()
{
    var elapsed = DateTimeOffset.UtcNow - started;
    while (next < script.Length && elapsed.TotalSeconds >= script[next].At)
    {
        phases[script[next].Service] = script[next].Phase;
        await script[next].Act();
        next++;
    }

    view.Sample(elapsed, phases);
    return elapsed < scenarioLength;
}

if (interactive)
{
    await AnsiConsole.Live(view.Render()).AutoClear(false).StartAsync(async ctx =>
    {
        while (await TickAsync())
        {
            ctx.UpdateTarget(view.Render());
            ctx.Refresh();
            await Task.Delay(250);
        }

        ctx.UpdateTarget(view.Render());
        ctx.Refresh();
    });
}
else
{
    var printed = TimeSpan.FromSeconds(-10);
    while (await TickAsync())
    {
        if (DateTimeOffset.UtcNow - started - printed >= TimeSpan.FromSeconds(3))
        {
            printed = DateTimeOffset.UtcNow - started;
            Console.WriteLine(view.RenderPlain());
        }

        await Task.Delay(250);
    }

    Console.WriteLine(view.RenderPlain());
}

await stop.CancelAsync();
await traffic;
var activities = group.Activities;
Console.WriteLine(FormattableString.Invariant(
    $"Scenario over: catalog {catalogLoad.Succeeded} requests succeeded, {catalogLoad.Failed} failed; search {searchLoad.Succeeded} succeeded, {searchLoad.Failed} failed; {events.Total} state changes logged."));
Console.WriteLine(FormattableString.Invariant(
    $"Scaling group '{group.Name}': {activities.Count(a => a.Kind == ScalingActivityKind.Launch)} launches, {activities.Count(a => a.Kind == ScalingActivityKind.Terminate)} terminations, desired capacity now {group.DesiredCapacity}. History:"));
foreach (var activity in activities)
{
    Console.WriteLine($"  {scaling.Line(activity)}");
}

foreach (var backend in backends)
{
    await backend.DisposeAsync();
}
