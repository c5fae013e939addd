// A client of the "catalog" service in a fleet: its copy of the scaling group is coordinated through etcd
// (UseEtcdCoordination), its instances are detached processes that register themselves (UseDetachedProcessLauncher
// running tests/Loadstone.Discovery.TestInstance), and its pool reads their registrations. Environment:
//   LOADSTONE_ETCD            etcd client URL this client uses (a test may put a proxy in between)
//   LOADSTONE_INSTANCE_ETCD   etcd client URL given to the instances (default: LOADSTONE_ETCD)
//   LOADSTONE_GROUP_PREFIX    the group's key prefix
//   LOADSTONE_CLIENT_ID       this client's id
//   LOADSTONE_INSTANCE_DLL    the instance app to launch
//   LOADSTONE_STATE_DIR       where the launcher keeps instance logs and process ids
// Control API on 127.0.0.1 (a free port, printed as "CONTROL http://127.0.0.1:{port}"):
//   GET  /status             leadership (and when it changed), desired capacity, instances, activities, pool members
//   POST /load?workers=N&ms=M  N workers each sending GET http://catalog/slow?ms=M in a loop (0 stops)
//   GET  /results            requests sent and failed since start
using System.Collections.Concurrent;
using System.Globalization;
using Loadstone;
using Loadstone.Scaling;
using Loadstone.Scaling.Etcd;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var etcd = Environment.GetEnvironmentVariable("LOADSTONE_ETCD") ?? throw new InvalidOperationException("LOADSTONE_ETCD is not set.");
var instanceEtcd = Environment.GetEnvironmentVariable("LOADSTONE_INSTANCE_ETCD") ?? etcd;
var prefix = Environment.GetEnvironmentVariable("LOADSTONE_GROUP_PREFIX") ?? throw new InvalidOperationException("LOADSTONE_GROUP_PREFIX is not set.");
var clientId = Environment.GetEnvironmentVariable("LOADSTONE_CLIENT_ID") ?? "client";
var instanceDll = Environment.GetEnvironmentVariable("LOADSTONE_INSTANCE_DLL") ?? throw new InvalidOperationException("LOADSTONE_INSTANCE_DLL is not set.");
var stateDirectory = Environment.GetEnvironmentVariable("LOADSTONE_STATE_DIR");

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.UseUtcTimestamp = true;
}).AddFilter("Loadstone", LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Services.AddLoadBalancedHttpClient("catalog", o =>
{
    o.Strategy = LoadBalancingStrategies.LeastRequests;
    o.Retries.Enabled = true;
    o.DeregistrationDelay = TimeSpan.FromSeconds(5);
});
builder.Services.AddScalingGroup("catalog", o =>
    {
        o.Group.MinSize = 2;
        o.Group.MaxSize = 5;
        o.Group.ReconcileInterval = TimeSpan.FromMilliseconds(200);
        o.Group.Policies.Add(new TargetTrackingScalingPolicy
        {
            Name = "in-flight",
            Metric = ScalingMetric.AverageInFlightRequests,
            TargetValue = 4,
            Period = TimeSpan.FromSeconds(1),
            ScaleOutEvaluationPeriods = 2,
            ScaleInEvaluationPeriods = 3,
        });
    })
    .UseEtcdCoordination(o =>
    {
        o.Endpoints.Add(etcd);
        o.Prefix = prefix;
        o.ClientId = clientId;
        o.LeaseTtl = TimeSpan.FromSeconds(2);
        o.ReportInterval = TimeSpan.FromMilliseconds(500);
        o.RetryDelay = TimeSpan.FromMilliseconds(100);
        o.MaxRetryDelay = TimeSpan.FromSeconds(1);
        o.RequestTimeout = TimeSpan.FromSeconds(2);
    })
    .UseDetachedProcessLauncher(o =>
    {
        o.FileName = "dotnet";
        o.Arguments.Add(instanceDll);
        o.Environment["LOADSTONE_ETCD"] = instanceEtcd;
        o.Environment["LOADSTONE_LEASE_TTL_S"] = "2";
        o.Environment["LOADSTONE_DRAIN_MS"] = "1000";
        o.Environment["DOTNET_gcServer"] = "0";
        o.Environment["DOTNET_TieredPGO"] = "0";
        o.StateDirectory = stateDirectory;
        o.StopTimeout = TimeSpan.FromSeconds(10);
    });
builder.Services.AddSingleton<LoadWorkers>();
builder.Services.AddHostedService<LeadershipClock>();

var app = builder.Build();
var group = app.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
var coordinator = app.Services.GetRequiredKeyedService<EtcdScalingCoordinator>("catalog");
var pool = app.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
var clock = app.Services.GetServices<IHostedService>().OfType<LeadershipClock>().Single();
var load = app.Services.GetRequiredService<LoadWorkers>();

app.MapGet("/status", () => new Status(
    clientId,
    group.IsLeader,
    coordinator.IsLeader,
    clock.ElectedAt,
    clock.ActingAt,
    clock.SteppedDownAt,
    group.DesiredCapacity,
    [.. group.Instances.Select(i => new InstanceView(i.Id, i.State.ToString(), i.Endpoint?.Id))],
    [.. group.Activities.Select(a => new ActivityView(a.Id, a.Kind.ToString(), a.Status.ToString(), a.InstanceId, a.Description, a.Cause))],
    [.. pool.Endpoints.Where(e => e.Health != EndpointHealth.Draining).Select(e => e.Endpoint.Id).Order()],
    coordinator.FleetLoad.ClientCount));
app.MapPost("/load", (int workers, int ms) =>
{
    load.Set(workers, ms);
    return Results.Ok();
});
app.MapGet("/results", () => new LoadResults(load.Requests, load.Failed, [.. load.Failures.Take(20)]));

await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"CONTROL {address}");
await app.WaitForShutdownAsync();

internal sealed record Status(string ClientId, bool IsLeader, bool CoordinatorLeads, DateTimeOffset? ElectedAt, DateTimeOffset? ActingAt,
    DateTimeOffset? SteppedDownAt, int DesiredCapacity, InstanceView[] Instances, ActivityView[] Activities, string[] PoolMembers, int Reporters);

internal sealed record InstanceView(string Id, string State, string? Endpoint);

internal sealed record ActivityView(long Id, string Kind, string Status, string? InstanceId, string Description, string Cause);

internal sealed record LoadResults(long Requests, long Failed, string[] Failures);

/// <summary>Notes, every 10 ms, when this client's coordinator started or stopped leading and when its group started acting.</summary>
internal sealed class LeadershipClock(IServiceProvider services) : BackgroundService
{
    public DateTimeOffset? ElectedAt { get; private set; }

    public DateTimeOffset? ActingAt { get; private set; }

    public DateTimeOffset? SteppedDownAt { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var coordinator = services.GetRequiredKeyedService<EtcdScalingCoordinator>("catalog");
        var leading = false;
        var acting = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var leads = coordinator.IsLeader;
            if (leads && !leading)
            {
                ElectedAt = now;
            }
            else if (!leads && leading)
            {
                SteppedDownAt = now;
            }

            var acts = group.IsLeader;
            if (acts && !acting)
            {
                ActingAt = now;
            }

            (leading, acting) = (leads, acts);
            await Task.Delay(10, CancellationToken.None);
        }
    }
}

/// <summary>Workers sending requests to the group's instances through the balancer (retries on), counting failures.</summary>
internal sealed class LoadWorkers(IHttpClientFactory factory)
{
    private readonly ConcurrentQueue<string> _failures = new();
    private CancellationTokenSource _stop = new();
    private long _requests;
    private long _failed;

    public long Requests => Interlocked.Read(ref _requests);

    public long Failed => Interlocked.Read(ref _failed);

    public IEnumerable<string> Failures => _failures;

    public void Set(int workers, int ms)
    {
        var previous = Interlocked.Exchange(ref _stop, new CancellationTokenSource());
        previous.Cancel();
        var token = _stop.Token;
        var path = "/slow?ms=" + ms.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < workers; i++)
        {
            _ = Task.Run(async () =>
            {
                var client = factory.CreateClient("catalog");
                client.BaseAddress = new Uri("http://catalog");
                while (!token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _requests);
                    try
                    {
                        using var response = await client.GetAsync(path, CancellationToken.None);
                        if (!response.IsSuccessStatusCode)
                        {
                            Fail($"status {(int)response.StatusCode}");
                        }
                    }
                    catch (Exception ex)
                    {
                        Fail(ex.Message);
                    }
                }
            }, CancellationToken.None);
        }
    }

    private void Fail(string why)
    {
        Interlocked.Increment(ref _failed);
        _failures.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {why}");
    }
}
