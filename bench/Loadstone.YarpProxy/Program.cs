// The performance lab's YARP peer, run as a separate process by bench/Loadstone.LoadLab:
//   loadstone-yarp --port N --backends 127.0.0.1:p1,127.0.0.1:p2,... [--parent-pid P]
// One route (everything) to one cluster of the backends, configured as a team would run YARP as a central proxy:
// PowerOfTwoChoices (YARP's default), active health checks (GET /health every second, 2 failures to go out, as the
// lab's HAProxy), passive health checks (transport failure rate), HTTP/1.1 keep-alive to the backends. YARP does not
// retry failed requests (there is no built-in retry), so it is run without retries.
// It exits when its parent (the lab) is gone, so a killed lab leaves no orphans.
using System.Diagnostics;
using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

var port = 0;
var backends = Array.Empty<string>();
var parentPid = 0;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--backends": backends = value.Split(',', StringSplitOptions.RemoveEmptyEntries); break;
        case "--parent-pid": parentPid = int.Parse(value, CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
var destinations = backends.Select((b, i) => (Key: $"b{i}", Value: new DestinationConfig { Address = $"http://{b}/" }))
    .ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "backends", Match = new RouteMatch { Path = "{**rest}" } }],
    [
        new ClusterConfig
        {
            ClusterId = "backends",
            LoadBalancingPolicy = "PowerOfTwoChoices",
            Destinations = destinations,
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(1),
                    Timeout = TimeSpan.FromMilliseconds(500),
                    Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                    Path = "/health",
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                    ReactivationPeriod = TimeSpan.FromSeconds(10),
                },
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
            },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "2" },
        },
    ]);
var app = builder.Build();
app.MapReverseProxy();

if (parentPid > 0)
{
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
