using System.Diagnostics.Metrics;
using Loadstone;
using Loadstone.ConnectionsSample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Connection balancing for a client that is not HttpClient: a Redis (RESP) client whose connections come from
// Loadstone. Three cache servers on 127.0.0.1 (redis-server if installed, else in-process RESP servers), twelve
// connections spread by least connections, a server killed, and what failing to connect looks like. Exits by itself.

using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
var ct = deadline.Token;
Console.WriteLine("Loadstone connection balancing: a Redis client over balanced TCP connections");
Console.WriteLine();

await using var servers = await CacheServers.StartAsync(3);
var endpoints = servers.Ports.Select(p => $"tcp://127.0.0.1:{p}").ToArray();
Console.WriteLine($"Servers: {servers.Kind}");
for (var i = 0; i < endpoints.Length; i++)
{
    Console.WriteLine($"    cache-{i}  {endpoints[i]}");
}

using var metrics = new ConnectionCounters();
var services = new ServiceCollection();
services.AddLogging(b => b.AddProvider(new LogsToConsole()).SetMinimumLevel(LogLevel.Debug));
services.AddLoadBalancedConnections("cache", o =>
{
    foreach (var endpoint in endpoints)
    {
        o.Endpoints.Add(endpoint);
    }
});
await using var provider = services.BuildServiceProvider();
var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("cache");

Console.WriteLine();
Console.WriteLine("1. Twelve connections, each with a SET and a GET");
Console.WriteLine("   services.AddLoadBalancedConnections(\"cache\", o => o.Endpoints.Add(\"tcp://127.0.0.1:6379\"));");
Console.WriteLine("   await using var connection = await balancer.ConnectAsync();   // a Stream; disposing it ends the lease");
Console.WriteLine($"   strategy: {balancer.Pool.StrategyName} (least connections: the default for a service registered for connections)");
var open = new List<LoadBalancedConnection>();
for (var i = 0; i < 12; i++)
{
    open.Add(await ConnectAndUseAsync(balancer, $"user:{i}", ct));
}

await PrintSpreadAsync(balancer, servers, endpoints, ct);

Console.WriteLine();
Console.WriteLine("2. Close the connections of cache-1, open four more: least connections sends them all to cache-1");
foreach (var connection in open.Where(c => c.Endpoint.Address.Port == servers.Ports[1]).ToList())
{
    await connection.DisposeAsync();
    open.Remove(connection);
}

for (var i = 0; i < 4; i++)
{
    var connection = await ConnectAndUseAsync(balancer, $"refill:{i}", ct);
    Console.WriteLine($"    new connection -> cache-{Array.IndexOf(endpoints, connection.Endpoint.Id)}");
    open.Add(connection);
}

Console.WriteLine();
Console.WriteLine("3. cache-0 crashes (killed): its connections fail; new connects go elsewhere");
await servers.KillAsync(0);
var failedOpen = 0;
foreach (var connection in open.Where(c => c.Endpoint.Address.Port == servers.Ports[0]).ToList())
{
    try
    {
        await new RespClient(connection).PingAsync(ct);
    }
    catch (IOException ex)
    {
        failedOpen++;
        Console.WriteLine($"    open connection to cache-0: PING failed ({ex.Message}); reported and closed");
        connection.ReportFailure(); // charges cache-0 a connection failure for passive health
        await connection.DisposeAsync();
        open.Remove(connection);
    }
}

var retried = 0;
for (var i = 0; i < 24; i++)
{
    var connection = await ConnectAndUseAsync(balancer, $"after-crash:{i}", ct);
    retried += connection.ConnectAttempts > 1 ? 1 : 0;
    open.Add(connection);
}

Console.WriteLine($"    24 new connections made, 0 failed; {retried} of them {(retried == 1 ? "was" : "were")} refused by cache-0 first and retried on another server");
Console.WriteLine("    (the default strategy saw cache-0 as the emptiest; five consecutive failures ejected it)");
await PrintSpreadAsync(balancer, servers, endpoints, ct, dead: 0);
Console.WriteLine();
Console.WriteLine("   pool.GetStatus():");
Console.WriteLine("    endpoint  state        reason                              open  attempts  failed");
var status = balancer.Pool.GetStatus();
for (var i = 0; i < status.Endpoints.Count; i++)
{
    var s = status.Endpoints[i];
    Console.WriteLine($"    cache-{i}   {s.Health,-12} {s.Reason,-35} {s.ActiveRequests,4}  {s.TotalRequests,8}  {s.FailedRequests,6}");
}

foreach (var connection in open)
{
    await connection.DisposeAsync();
}

Console.WriteLine();
Console.WriteLine("4. When nothing can be connected: a service whose two endpoints refuse");
using (var refusing = new ServicePool("sessions", new LoadBalancingOptions { Endpoints = { $"tcp://127.0.0.1:{servers.Ports[0]}", "tcp://127.0.0.1:1" } }))
using (var nowhere = new ConnectionBalancer(refusing, new ConnectionBalancerOptions { MaxConnectAttempts = 2 }))
{
    try
    {
        await using var never = await nowhere.ConnectAsync(ct);
    }
    catch (ServiceConnectionException ex)
    {
        Console.WriteLine($"    {ex.GetType().Name} ({ex.Reason}):");
        Console.WriteLine($"    {ex.Message}");
    }
}

Console.WriteLine();
Console.WriteLine("5. Metrics on the Loadstone meter (service 'cache'):");
Console.WriteLine($"    loadstone.connections.opened  {metrics.Opened}");
Console.WriteLine($"    loadstone.connections.failed  {metrics.Failed} (by error: {string.Join(", ", metrics.FailedByError.Select(kv => $"{kv.Key} {kv.Value}"))})");
Console.WriteLine($"    loadstone.connections.active  {metrics.Active} (all closed)");
Console.WriteLine($"    loadstone.connection.duration {metrics.Closed} connections recorded");
Console.WriteLine();
Console.WriteLine($"Done: {failedOpen} open connections lost with the crashed server, no connect failed while another server could answer.");

static async Task<LoadBalancedConnection> ConnectAndUseAsync(ConnectionBalancer balancer, string key, CancellationToken ct)
{
    var connection = await balancer.ConnectAsync(ct);
    var client = new RespClient(connection);
    await client.SetAsync(key, $"value of {key}", ct);
    if (await client.GetAsync(key, ct) != $"value of {key}")
    {
        throw new InvalidOperationException($"GET {key} did not return what SET stored.");
    }

    return connection;
}

static async Task PrintSpreadAsync(ConnectionBalancer balancer, CacheServers servers, string[] endpoints, CancellationToken ct, int dead = -1)
{
    Console.WriteLine("    server   open (balancer)  connected clients (server's INFO)");
    for (var i = 0; i < endpoints.Length; i++)
    {
        var state = balancer.Pool.Endpoints.First(s => s.Endpoint.Id == endpoints[i]);
        var atServer = i == dead ? "down" : (await ClientsAtAsync(servers.Ports[i], ct)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"    cache-{i}  {state.ActiveRequests,15}  {atServer,33}");
    }
}

static async Task<int> ClientsAtAsync(int port, CancellationToken ct)
{
    using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
    await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
    await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
    return await new RespClient(stream).ConnectedClientsAsync(ct) - 1; // not counting this connection
}

/// <summary>Totals of the connection instruments for service 'cache', from a MeterListener.</summary>
internal sealed class ConnectionCounters : IDisposable
{
    private readonly MeterListener _listener = new();

    public ConnectionCounters()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LoadstoneMetrics.MeterName && instrument.Name.StartsWith("loadstone.connection", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => OnMeasurement(instrument.Name, 1, tags));
        _listener.Start();
    }

    public long Opened { get; private set; }

    public long Failed { get; private set; }

    public long Active { get; private set; }

    public long Closed { get; private set; }

    public SortedDictionary<string, long> FailedByError { get; } = new(StringComparer.Ordinal);

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(string name, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? service = null, error = null;
        foreach (var tag in tags)
        {
            service = tag.Key == "loadstone.service" ? tag.Value as string : service;
            error = tag.Key == "loadstone.connection.error" ? tag.Value as string : error;
        }

        if (service != "cache")
        {
            return;
        }

        lock (this)
        {
            switch (name)
            {
                case "loadstone.connections.opened": Opened += value; break;
                case "loadstone.connections.active": Active += value; break;
                case "loadstone.connection.duration": Closed += value; break;
                case "loadstone.connections.failed":
                    Failed += value;
                    FailedByError[error ?? "?"] = FailedByError.GetValueOrDefault(error ?? "?") + value;
                    break;
            }
        }
    }
}

/// <summary>
/// Prints Loadstone's warnings as single lines with their event ids, and the connection balancer's Debug entries too
/// (each failed connect attempt and failed connection), which an application would normally leave off.
/// </summary>
internal sealed class LogsToConsole : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) =>
        new Logger(categoryName == "Loadstone.Connections" ? LogLevel.Debug : LogLevel.Warning);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine($"    [log {logLevel} {eventId.Id} {eventId.Name}] {formatter(state, exception)}");
            }
        }
    }
}
