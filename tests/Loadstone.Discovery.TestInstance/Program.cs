// A service instance that registers itself in etcd (Loadstone.Discovery.Etcd's AddEtcdRegistration), for the
// registration tests. Listens on 127.0.0.1:$LOADSTONE_PORT (0: any free port) and answers
//   GET /           200 "{instance}"
//   GET /slow?ms=N  waits N ms, then 200 "{instance}"
// Environment: LOADSTONE_ETCD (client URLs, comma separated), LOADSTONE_PREFIX (key prefix), LOADSTONE_INSTANCE_ID,
// LOADSTONE_ZONE (optional), LOADSTONE_LEASE_TTL_S (default 2), LOADSTONE_DRAIN_MS (default 1000): what the scaling
// package's DetachedProcessLauncher passes, so the fleet tests launch this same app.
// Prints "ADDRESS {url}" once it listens and logs "Registered this instance as '{key}'" (event 1340) once its key is in etcd
// (the key is {prefix}{LOADSTONE_INSTANCE_ID}). SIGTERM shuts it down gracefully: the key is deleted, it serves
// for the drain delay, then Kestrel finishes the requests in flight and stops.
using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var port = Environment.GetEnvironmentVariable("LOADSTONE_PORT") ?? "0";
var instance = Environment.GetEnvironmentVariable("LOADSTONE_INSTANCE_ID") ?? "instance";
var etcd = Environment.GetEnvironmentVariable("LOADSTONE_ETCD") ?? throw new InvalidOperationException("LOADSTONE_ETCD is not set.");
var prefix = Environment.GetEnvironmentVariable("LOADSTONE_PREFIX") ?? throw new InvalidOperationException("LOADSTONE_PREFIX is not set.");
var ttl = int.Parse(Environment.GetEnvironmentVariable("LOADSTONE_LEASE_TTL_S") ?? "2", CultureInfo.InvariantCulture);
var drain = int.Parse(Environment.GetEnvironmentVariable("LOADSTONE_DRAIN_MS") ?? "1000", CultureInfo.InvariantCulture);
var zone = Environment.GetEnvironmentVariable("LOADSTONE_ZONE");

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Loadstone", LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Services.AddEtcdRegistration(o =>
{
    foreach (var url in etcd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        o.Endpoints.Add(url);
    }

    o.Prefix = prefix;
    o.InstanceId = instance;
    o.Zone = string.IsNullOrEmpty(zone) ? null : zone;
    o.LeaseTtl = TimeSpan.FromSeconds(ttl);
    o.DrainDelay = TimeSpan.FromMilliseconds(drain);
    o.Metadata["instance"] = instance;
    o.AddressFactory = sp => new Uri(sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
});
var app = builder.Build();

app.MapGet("/", () => instance);
app.MapGet("/slow", async (int ms) =>
{
    // Not cancelled by shutdown: a request in flight finishes, as the drain tests expect.
    await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, 10_000)));
    return instance;
});

await app.StartAsync();
Console.WriteLine($"ADDRESS {app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()}");
await app.WaitForShutdownAsync();
