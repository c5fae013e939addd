// A tiny backend for process-launcher tests: listens on 127.0.0.1:$LOADSTONE_PORT and answers
//   GET /health          200 "ok"
//   GET /                200 "{instance} {zone} {pid}"
//   GET /slow?ms=N       waits N ms, then 200 "{instance}"
// It shuts down gracefully on SIGTERM (finishing in-flight requests), like any ASP.NET Core app.
using System.Globalization;

var port = Environment.GetEnvironmentVariable("LOADSTONE_PORT") ?? "0";
var host = Environment.GetEnvironmentVariable("LOADSTONE_HOST") ?? "127.0.0.1";
var zone = Environment.GetEnvironmentVariable("LOADSTONE_ZONE") ?? "";
var instance = Environment.GetEnvironmentVariable("LOADSTONE_INSTANCE_ID") ?? "backend";

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseUrls($"http://{host}:{port}");
var app = builder.Build();

app.MapGet("/health", () => "ok");
app.MapGet("/", () => $"{instance} {zone} {Environment.ProcessId}");
app.MapGet("/slow", async (int ms, CancellationToken cancellationToken) =>
{
    await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, 60_000)), cancellationToken);
    return instance;
});

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{instance} listening on {host}:{port}"));
app.Run();
