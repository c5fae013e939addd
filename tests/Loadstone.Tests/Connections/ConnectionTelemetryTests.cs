using System.Diagnostics.Metrics;
using Loadstone.Tests.Http;
using Loadstone.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using static Loadstone.Tests.Connections.ConnectionKit;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>Connection metrics on the Loadstone meter, and the connect-failure logs.</summary>
public sealed class ConnectionTelemetryTests
{
    [Fact]
    public async Task Metrics_OpenedFailedActiveAndDuration_RecordedPerServiceAndEndpoint()
    {
        var service = $"metrics-{Guid.NewGuid():N}";
        var time = TestClock.Create();
        await using var server = TcpTestServer.Echo();
        var refusing = RefusingEndpoint();
        using var pool = Pool(service, LoadBalancingStrategies.FirstAvailable, [refusing, server.Endpoint], time: time);
        using var balancer = new ConnectionBalancer(pool);
        using var metrics = new LoadstoneMetricCollector(service);

        var connection = await balancer.ConnectAsync();
        time.Advance(TimeSpan.FromSeconds(42));
        await connection.DisposeAsync();

        var good = new LoadBalancedEndpoint(server.Endpoint).Id;
        var bad = new LoadBalancedEndpoint(refusing).Id;
        var failed = Assert.Single(metrics.Of("loadstone.connections.failed"));
        Assert.Equal((1d, bad, "refused"), (failed.Value, failed.Tag("loadstone.endpoint"), failed.Tag("loadstone.connection.error")));
        var opened = Assert.Single(metrics.Of("loadstone.connections.opened"));
        Assert.Equal((1d, good), (opened.Value, opened.Tag("loadstone.endpoint")));
        Assert.Equal([1d, -1d], metrics.Of("loadstone.connections.active").Select(m => m.Value));
        var duration = Assert.Single(metrics.Of("loadstone.connection.duration"));
        Assert.Equal((42d, good), (duration.Value, duration.Tag("loadstone.endpoint")));
        Assert.Equal(ConnectionMetrics.DurationBoundaries, Assert.IsType<Histogram<double>>(metrics.Instrument("loadstone.connection.duration")).Advice?.HistogramBucketBoundaries);
    }

    [Fact]
    public async Task Metrics_WithAContainersMeterFactory_RecordedOnThatContainersMeter()
    {
        await using var server = TcpTestServer.Echo();
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLoadBalancedConnections("cache", o => o.Endpoints.Add(server.Endpoint));
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        using var opened = new MetricCollector<long>(factory, LoadstoneMetrics.MeterName, "loadstone.connections.opened");

        await using (await provider.GetRequiredKeyedService<ConnectionBalancer>("cache").ConnectAsync())
        {
        }

        Assert.Equal(1, opened.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Fact]
    public async Task Logs_AttemptFailedThenConnectFailed_WithStableEventIds()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Trace));
        var first = RefusingEndpoint();
        var second = RefusingEndpoint();
        using var pool = Pool("cache", LoadBalancingStrategies.FirstAvailable, [first, second]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions { MaxConnectAttempts = 2 }, loggerFactory);

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        var entries = logs.Entries.Where(e => e.Category == "Loadstone.Connections").ToList();
        Assert.Equal([300, 301], entries.Select(e => e.Id.Id));
        Assert.Equal(["ConnectAttemptFailed", "ConnectFailed"], entries.Select(e => e.Id.Name));
        Assert.Equal($"Service 'cache': connect attempt 1 of 2 to {new LoadBalancedEndpoint(first).Id} failed: connection refused. Trying another endpoint.", entries[0].Message);
        Assert.Equal([LogLevel.Debug, LogLevel.Warning], entries.Select(e => e.Level));
        Assert.Equal($"Service 'cache': no connection after 2 attempts. {ex.Message}", entries[1].Message);
    }

    [Fact]
    public async Task Logs_ConnectionFailedWhileOpen_LoggedWhenClosed()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Debug));
        await using var server = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [server.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, loggerFactory: loggerFactory);

        var connection = await balancer.ConnectAsync();
        connection.ReportFailure();
        await connection.DisposeAsync();

        var entry = Assert.Single(logs.Entries, e => e.Id.Id == 303);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.StartsWith($"Service 'echo': a connection to {new LoadBalancedEndpoint(server.Endpoint).Id} failed after ", entry.Message, StringComparison.Ordinal);
    }
}
