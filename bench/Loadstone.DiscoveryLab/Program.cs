// Discovery lab: figures for the etcd source against a real etcd started here.
//   dotnet run -c Release --project bench/Loadstone.DiscoveryLab -- latency [changes=1000]
//   dotnet run -c Release --project bench/Loadstone.DiscoveryLab -- scale [keys=10000] [runs=5]
// latency: alternately puts and deletes one key under a watched prefix (10 other keys present) and times each change
//          from just before the put/delete request to the moment the pool publishes its new snapshot (the
//          loadstone.pool.membership.changes counter fires right after the swap).
// scale:   fills a prefix with N keys, then times the source's first read up to the pool's first snapshot, measures the
//          memory the source and pool hold per endpoint, and times 200 single-key changes from the source publishing
//          its new set to the pool's new snapshot (the pool's rebuild with N endpoints) and from the put/delete request
//          to the pool's new snapshot, all per run; medians over runs.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone;
using Loadstone.Discovery.Etcd;
using Loadstone.Discovery.Tests;
using Microsoft.Extensions.Logging;

var mode = args.Length > 0 ? args[0] : "all";
await using var etcd = await EtcdServer.StartAsync();
Console.WriteLine($"etcd at {etcd.ClientUrl}; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
if (mode is "latency" or "all")
{
    await LatencyAsync(etcd, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000);
}

if (mode is "scale" or "all")
{
    await ScaleAsync(etcd, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
}

Console.WriteLine($"load average at the end {LoadAverage()}");

static async Task LatencyAsync(EtcdServer etcd, int changes)
{
    var prefix = $"/lab/latency-{Guid.NewGuid():N}/";
    for (var i = 0; i < 10; i++)
    {
        await etcd.PutEndpointAsync($"{prefix}base-{i:D2}", $"http://10.1.0.{i + 1}:8080");
    }

    using var snapshots = new SnapshotListener();
    var (pool, source) = CreatePool(etcd, prefix, null);
    await pool.InitializeAsync();
    var putRpc = new List<double>(changes);
    var toSnapshot = new List<double>(changes);
    for (var i = 0; i < changes; i++)
    {
        var published = snapshots.Next();
        var start = Stopwatch.GetTimestamp();
        if (i % 2 == 0)
        {
            await etcd.PutEndpointAsync(prefix + "moving", "http://10.2.0.1:8080");
        }
        else
        {
            await etcd.DeleteAsync(prefix + "moving");
        }

        putRpc.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        var at = await published.WaitAsync(TimeSpan.FromSeconds(10));
        toSnapshot.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
    }

    Console.WriteLine($"latency: {changes} changes (put/delete alternately) with 11 keys watched");
    Console.WriteLine($"  put/delete request until etcd answered  {Summary(putRpc)}");
    Console.WriteLine($"  put/delete request until pool snapshot  {Summary(toSnapshot)}");
    pool.Dispose();
    await source.DisposeAsync();
}

static async Task ScaleAsync(EtcdServer etcd, int keys, int runs)
{
    var prefix = $"/lab/scale-{Guid.NewGuid():N}/";
    await FillAsync(etcd, prefix, keys);
    var results = new List<ScaleRun>();
    for (var run = 0; run < runs; run++)
    {
        // A disposed gRPC channel lets go of its last buffers and calls a moment later: settle before measuring.
        await Task.Delay(1_000);
        var before = Collected();
        var result = await ScaleRunAsync(etcd, prefix, keys);
        await Task.Delay(1_000);
        var left = (Collected() - before) / (double)keys;
        results.Add(result);
        Console.WriteLine($"  run {run + 1}: first read {result.FirstReadMs:F0} ms, {result.BytesPerEndpoint:F0} B per endpoint ({left:F0} B left after dispose), pool rebuild p50 {result.RebuildP50Ms:F2} ms p99 {result.RebuildP99Ms:F2} ms, change to snapshot p50 {result.ChangeP50Ms:F2} ms p99 {result.ChangeP99Ms:F2} ms");
    }

    Console.WriteLine($"scale: {keys} keys, {runs} runs (medians of the runs)");
    Console.WriteLine($"  first read to first snapshot   {Percentile([.. results.Select(r => r.FirstReadMs)], 50):F0} ms");
    Console.WriteLine($"  memory per endpoint            {Percentile([.. results.Select(r => r.BytesPerEndpoint)], 50):F0} B (source and pool, after a full GC)");
    Console.WriteLine($"  pool rebuild after one change  p50 {Percentile([.. results.Select(r => r.RebuildP50Ms)], 50):F2} ms, p99 {Percentile([.. results.Select(r => r.RebuildP99Ms)], 50):F2} ms");
    Console.WriteLine($"  put/delete to pool snapshot    p50 {Percentile([.. results.Select(r => r.ChangeP50Ms)], 50):F2} ms, p99 {Percentile([.. results.Select(r => r.ChangeP99Ms)], 50):F2} ms");
}

// In its own method so that nothing of a run stays referenced once it returns.
static async Task<ScaleRun> ScaleRunAsync(EtcdServer etcd, string prefix, int keys)
{
    var logs = new PublishTimes();
    using var snapshots = new SnapshotListener();
    var before = Collected();
    var start = Stopwatch.GetTimestamp();
    var (pool, source) = CreatePool(etcd, prefix, logs);
    await pool.InitializeAsync();
    var firstRead = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    if (pool.Endpoints.Count != keys)
    {
        throw new InvalidOperationException($"The pool has {pool.Endpoints.Count} endpoints, not {keys}.");
    }

    var perEndpoint = (Collected() - before) / (double)keys;

    // One key changes at a time: the source publishes N endpoints, the pool rebuilds its snapshot from them.
    var rebuilds = new List<double>();
    var endToEnd = new List<double>();
    for (var i = 0; i < 200; i++)
    {
        var published = snapshots.Next();
        var sourcePublished = logs.Next();
        var changeStart = Stopwatch.GetTimestamp();
        if (i % 2 == 0)
        {
            await etcd.PutEndpointAsync(prefix + "zz-moving", "http://10.200.0.1:8080");
        }
        else
        {
            await etcd.DeleteAsync(prefix + "zz-moving");
        }

        var at = await published.WaitAsync(TimeSpan.FromSeconds(10));
        rebuilds.Add(Stopwatch.GetElapsedTime(await sourcePublished, at).TotalMilliseconds);
        endToEnd.Add(Stopwatch.GetElapsedTime(changeStart, at).TotalMilliseconds);
    }

    pool.Dispose();
    await source.DisposeAsync();
    return new ScaleRun(firstRead, perEndpoint, Percentile(rebuilds, 50), Percentile(rebuilds, 99), Percentile(endToEnd, 50), Percentile(endToEnd, 99));
}

static (ServicePool Pool, EtcdEndpointSource Source) CreatePool(EtcdServer etcd, string prefix, ILoggerFactory? logs)
{
    var sourceOptions = new EtcdDiscoveryOptions { Prefix = prefix };
    sourceOptions.Endpoints.Add(etcd.ClientUrl);
    var source = new EtcdEndpointSource("catalog", sourceOptions, logs);
    var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.PowerOfTwoChoices, DeregistrationDelay = TimeSpan.Zero };
    return (new ServicePool("catalog", options, new ServicePoolDependencies { EndpointSources = [source] }), source);
}

static async Task FillAsync(EtcdServer etcd, string prefix, int keys)
{
    // etcd takes at most 128 operations per transaction by default.
    for (var start = 0; start < keys; start += 128)
    {
        var txn = new TxnRequest();
        for (var i = start; i < Math.Min(keys, start + 128); i++)
        {
            var address = string.Create(CultureInfo.InvariantCulture, $"http://10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}:8080");
            var value = "{\"address\":\"" + address + "\",\"zone\":\"zone-" + (i % 3).ToString(CultureInfo.InvariantCulture) + "\",\"weight\":1,\"metadata\":{\"version\":\"1.4.2\"}}";
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i:D6}"), Value = ByteString.CopyFromUtf8(value) } });
        }

        await etcd.KV.TxnAsync(txn);
    }
}

static long Collected()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    return GC.GetTotalMemory(forceFullCollection: true);
}

static string Summary(List<double> values) =>
    $"p50 {Percentile(values, 50):F2} ms  p90 {Percentile(values, 90):F2} ms  p99 {Percentile(values, 99):F2} ms  max {values.Max():F2} ms";

static double Percentile(List<double> values, double percentile)
{
    var sorted = values.Order().ToArray();
    var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

internal sealed record ScaleRun(double FirstReadMs, double BytesPerEndpoint, double RebuildP50Ms, double RebuildP99Ms, double ChangeP50Ms, double ChangeP99Ms);

/// <summary>The moment each pool snapshot with new members is published (the membership counter fires right after the swap).</summary>
internal sealed class SnapshotListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private TaskCompletionSource<long> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SnapshotListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LoadstoneMetrics.MeterName && instrument.Name == "loadstone.pool.membership.changes")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => Volatile.Read(ref _next).TrySetResult(Stopwatch.GetTimestamp()));
        _listener.Start();
    }

    /// <summary>The next publish's timestamp; call before making the change.</summary>
    public Task<long> Next()
    {
        var next = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, next);
        return next.Task;
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>The moment the etcd source publishes a new set (its event 1321, logged just before it tells the pool).</summary>
internal sealed class PublishTimes : ILoggerFactory, ILogger
{
    private TaskCompletionSource<long> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<long> Next()
    {
        var next = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, next);
        return next.Task;
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 1321)
        {
            Volatile.Read(ref _next).TrySetResult(Stopwatch.GetTimestamp());
        }
    }
}
