// The performance lab's backend, run as a separate process per instance by bench/Loadstone.LoadLab:
//   loadstone-backend --port N [--name b0] [--zone a] [--latency-ms 0] [--parent-pid P]
// Endpoints:
//   GET  /           waits the configured latency, answers the configured status with "{name} {zone}"
//   GET  /health     answers the configured status (a broken instance fails its health check too)
//   POST /control?latencyMs=..&status=..   changes latency and status at run time
//   GET  /stats      "{requests} {lastRequestUnixMs}" counting GET / only
// It exits when its parent (the harness) is gone, so a killed harness leaves no orphans.
using System.Diagnostics;
using System.Globalization;

var port = 0;
var name = "backend";
var zone = "";
var latencyMs = 0.0;
var parentPid = 0;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--name": name = value; break;
        case "--zone": zone = value; break;
        case "--latency-ms": latencyMs = double.Parse(value, CultureInfo.InvariantCulture); break;
        case "--parent-pid": parentPid = int.Parse(value, CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var state = new BackendState { LatencyMs = latencyMs, Status = 200 };
var body = $"{name} {zone}";

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
var app = builder.Build();

app.MapGet("/", async (HttpContext context) =>
{
    Interlocked.Increment(ref state.Requests);
    Volatile.Write(ref state.LastRequestUnixMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    var latency = Volatile.Read(ref state.LatencyMs);
    if (latency > 0)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(latency), context.RequestAborted);
    }

    context.Response.StatusCode = Volatile.Read(ref state.Status);
    context.Response.ContentType = "text/plain";
    await context.Response.WriteAsync(body, context.RequestAborted);
});
app.MapGet("/health", (HttpContext context) =>
{
    context.Response.StatusCode = Volatile.Read(ref state.Status);
    return context.Response.WriteAsync("health");
});
app.MapPost("/control", (double? latencyMs, int? status) =>
{
    if (latencyMs is { } l)
    {
        Volatile.Write(ref state.LatencyMs, Math.Clamp(l, 0, 60_000));
    }

    if (status is { } s)
    {
        Volatile.Write(ref state.Status, Math.Clamp(s, 100, 599));
    }

    return Results.Text(string.Create(CultureInfo.InvariantCulture, $"{state.LatencyMs} {state.Status}"));
});
app.MapGet("/stats", () => Results.Text(string.Create(CultureInfo.InvariantCulture,
    $"{Volatile.Read(ref state.Requests)} {Volatile.Read(ref state.LastRequestUnixMs)}")));

if (parentPid > 0)
{
    // Watch the harness: exit when it is gone (killed with SIGKILL, say), never lingering as an orphan.
    _ = Task.Run(async () =>
    {
        while (true)
        {
            await Task.Delay(1000);
            if (!IsAlive(parentPid))
            {
                Environment.Exit(0);
            }
        }
    });
}

app.Run();
return 0;

static bool IsAlive(int pid)
{
    try
    {
        using var process = Process.GetProcessById(pid);
        return !process.HasExited;
    }
    catch (ArgumentException)
    {
        return false;
    }
}

internal sealed class BackendState
{
    public double LatencyMs;
    public int Status;
    public long Requests;
    public long LastRequestUnixMs;
}
