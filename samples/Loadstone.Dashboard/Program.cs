using Loadstone;
using Loadstone.Dashboard;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

// A live dashboard of one load-balanced service while a scripted scenario runs against four local backends:
// a backend slows, another answers 500s and is ejected, a third dies (two down: the pool fails open), then they
// recover while load rises and falls. Exits by itself after about 27 s. Without a terminal (CI, redirected output)
// it prints plain-text frames instead of redrawing.

const string Service = "catalog";
var scenarioLength = TimeSpan.FromSeconds(27);
var interactive = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

var backends = new[]
{
    await ScenarioBackend.StartAsync("catalog-1", "zone-a"),
    await ScenarioBackend.StartAsync("catalog-2", "zone-a"),
    await ScenarioBackend.StartAsync("catalog-3", "zone-b"),
    await ScenarioBackend.StartAsync("catalog-4", "zone-b"),
};

var events = new EventFeed(DateTimeOffset.UtcNow);
var services = new ServiceCollection();
services.AddLogging(b => b.AddProvider(events).SetMinimumLevel(LogLevel.Information));
services.AddLoadBalancedHttpClient(Service, o =>
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

await using var provider = services.BuildServiceProvider();
var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Service);
var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool(Service);
await pool.InitializeAsync();

// Endpoints start Initial until their first probe passes; begin once they have (or after 5 s at most).
for (var wait = 0; wait < 50 && pool.GetStatus().Endpoints.Any(e => e.Health != EndpointHealth.Healthy); wait++)
{
    await Task.Delay(100);
}

var load = new LoadGenerator(client, requestsPerSecond: 20);
var script = new (double At, string Phase, Func<Task> Act)[]
{
    (0, "steady: 20 requests/s over four healthy endpoints", () => Task.CompletedTask),
    (4, "catalog-2 slows to 250 ms: Peak EWMA moves traffic away", () =>
    {
        backends[1].Latency = TimeSpan.FromMilliseconds(250);
        return Task.CompletedTask;
    }),
    (8, "catalog-3 answers 500: ejected by outlier detection, then failing health checks", () =>
    {
        backends[2].StatusCode = 500;
        return Task.CompletedTask;
    }),
    (13, "catalog-2 dies (connection refused): two of four healthy, the pool fails open", backends[1].StopAsync),
    (18, "recovery: catalog-2 restarts, catalog-3 answers 200; load rises to 60/s; slow start ramps them up", async () =>
    {
        backends[1].Latency = TimeSpan.FromMilliseconds(10);
        backends[2].StatusCode = 200;
        await backends[1].RestartAsync();
        load.RequestsPerSecond = 60;
    }),
    (23, "load falls to 10 requests/s", () =>
    {
        load.RequestsPerSecond = 10;
        return Task.CompletedTask;
    }),
};

var view = new DashboardView(Service, pool, backends, load, events, scenarioLength);
using var stop = new CancellationTokenSource(scenarioLength + TimeSpan.FromSeconds(10));
var traffic = load.RunAsync(stop.Token);
var started = DateTimeOffset.UtcNow;
var next = 0;
var phase = string.Empty;

async Task<bool> TickAsync()
{
    var elapsed = DateTimeOffset.UtcNow - started;
    while (next < script.Length && elapsed.TotalSeconds >= script[next].At)
    {
        phase = script[next].Phase;
        await script[next].Act();
        next++;
    }

    view.Sample(elapsed, phase);
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
Console.WriteLine(FormattableString.Invariant(
    $"Scenario over: {load.Succeeded} requests succeeded, {load.Failed} failed; {events.Total} state changes logged."));
foreach (var backend in backends)
{
    await backend.DisposeAsync();
}
