using System.Diagnostics;
using System.Globalization;
using System.Net;
using Loadstone;
using Loadstone.OpenTelemetrySample;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

// Loadstone's meter and activity source wired to OpenTelemetry: three local backends (one answers 503 at first, so
// some attempts are retried), 60 requests through a load-balanced HttpClient, then the metrics and traces that
// OpenTelemetry collected are printed. Exits by itself.

var exportedMetrics = new List<MetricSnapshot>();
var exportedActivities = new List<Activity>();
using var meterProvider = LoadstoneOpenTelemetry.StartMetrics(exportedMetrics);
using var tracerProvider = LoadstoneOpenTelemetry.StartTraces(exportedActivities);

var backends = new List<WebApplication>();
var addresses = new List<string>();
var flaky = 3; // the third backend's first three answers are 503
for (var i = 0; i < 3; i++)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
    var app = builder.Build();
    var name = $"catalog-{i + 1}";
    var isFlaky = i == 2;
    app.Run(context =>
    {
        if (isFlaky && Interlocked.Decrement(ref flaky) >= 0)
        {
            context.Response.StatusCode = 503;
        }

        return context.Response.WriteAsync(name);
    });
    await app.StartAsync();
    backends.Add(app);
    addresses.Add(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}

var services = new ServiceCollection();
services.AddLoadBalancedHttpClient("catalog", o =>
{
    o.Strategy = LoadBalancingStrategies.RoundRobin;
    for (var i = 0; i < addresses.Count; i++)
    {
        o.Endpoints.Add(addresses[i], zone: i == 0 ? "zone-a" : "zone-b");
    }
});
await using (var provider = services.BuildServiceProvider())
{
    var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
    var ok = 0;
    await Parallel.ForAsync(0, 60, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
    {
        using var response = await client.GetAsync(new Uri($"/items/{i}", UriKind.Relative), ct);
        if (response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref ok);
        }
    });
    Console.WriteLine($"Sent 60 requests to http://catalog: {ok} succeeded.");

    meterProvider.ForceFlush();
    Console.WriteLine();
    Console.WriteLine("Metrics collected by OpenTelemetry (meter \"Loadstone\"):");
    foreach (var point in LoadstoneOpenTelemetry.Latest(exportedMetrics).Where(p => p.Tag("loadstone.service") == "catalog")
        .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Tag("loadstone.endpoint"), StringComparer.Ordinal))
    {
        var tags = string.Join(", ", point.Tags.Where(t => t.Key != "loadstone.service").OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key.Replace("loadstone.", string.Empty, StringComparison.Ordinal)}={t.Value}"));
        var value = point.Type == MetricType.Histogram
            ? string.Create(CultureInfo.InvariantCulture, $"count={point.Count} sum={point.Value:0.####} {point.Unit}")
            : string.Create(CultureInfo.InvariantCulture, $"{point.Value:0.####} {point.Unit}");
        Console.WriteLine($"  {point.Name,-36} {value,-28} {tags}");
    }

    Console.WriteLine();
    var attempts = exportedActivities.Where(a => a.GetTagItem("loadstone.service") as string == "catalog").ToArray();
    Console.WriteLine($"Traces: {attempts.Length} \"{LoadstoneActivitySource.AttemptActivityName}\" activities, by pick reason and outcome:");
    foreach (var group in attempts.GroupBy(a => $"{a.GetTagItem("loadstone.pick_reason")} -> {a.GetTagItem("loadstone.outcome")}").OrderBy(g => g.Key, StringComparer.Ordinal))
    {
        Console.WriteLine($"  {group.Count(),3} x {group.Key}");
    }

    Console.WriteLine();
    Console.WriteLine("The explain view of the pool (ServicePool.GetStatus().ToJson()):");
    Console.WriteLine(provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog").GetStatus().ToJson());
}

foreach (var app in backends)
{
    await app.StopAsync();
    await app.DisposeAsync();
}
