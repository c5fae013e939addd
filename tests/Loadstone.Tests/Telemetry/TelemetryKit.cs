using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary>One measurement read through a <see cref="MeterListener"/>.</summary>
internal sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// Reads every instrument of the meters named Loadstone (the one pools made without a container share, and each
/// container's own), keeping only measurements tagged with one service: tests run in parallel, so each test names its
/// own service and sees only its own numbers.
/// </summary>
internal sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _service;
    private readonly ConcurrentQueue<Recorded> _recorded = new();

    public MetricCollector(string service)
    {
        _service = service;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LoadstoneMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    /// <summary>Every measurement of this service so far, in order.</summary>
    public IReadOnlyList<Recorded> All => _recorded.ToArray();

    /// <summary>The measurements of one instrument.</summary>
    public IReadOnlyList<Recorded> Of(string instrument) => _recorded.Where(r => r.Instrument == instrument).ToArray();

    /// <summary>The sum of a counter's increments whose tags include every given pair.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] match) =>
        Of(instrument).Where(r => match.All(m => r.Tag(m.Key) == m.Value)).Sum(r => r.Value);

    /// <summary>Reads the observable gauges now and returns this service's current values of one of them.</summary>
    public IReadOnlyList<Recorded> Observe(string instrument)
    {
        var before = _recorded.Count;
        _listener.RecordObservableInstruments();
        return _recorded.Skip(before).Where(r => r.Instrument == instrument).ToArray();
    }

    public void Dispose() => _listener.Dispose();

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            map[tag.Key] = tag.Value?.ToString();
        }

        if (map.TryGetValue(TelemetryKit.ServiceTag, out var service) && service == _service)
        {
            _recorded.Enqueue(new Recorded(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), map));
        }
    }
}

/// <summary>Keeps the stopped "loadstone.attempt" activities of one service.</summary>
internal sealed class ActivityCollector : IDisposable
{
    private readonly ActivityListener _listener;

    public ActivityCollector(string service)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LoadstoneActivitySource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem(TelemetryKit.ServiceTag) as string == service)
                {
                    Stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    public void Dispose() => _listener.Dispose();
}

/// <summary>A container with one load-balanced client over real backends, a recording logger and the pool health check.</summary>
internal sealed class TelemetryHost : IDisposable
{
    private readonly ServiceProvider _services;

    private TelemetryHost(ServiceProvider services, string service, FakeLogCollector logs)
    {
        _services = services;
        Service = service;
        Logs = logs;
        Client = services.GetRequiredService<IHttpClientFactory>().CreateClient(service);
    }

    public string Service { get; }

    public HttpClient Client { get; }

    /// <summary>Every log entry of the container, at every level.</summary>
    public FakeLogCollector Logs { get; }

    public IServiceProvider Services => _services;

    /// <summary>The service's pool (created on first use).</summary>
    public ServicePool Pool => _services.GetRequiredService<ServicePoolRegistry>().GetPool(Service);

    /// <param name="service">The service, also the client's name.</param>
    /// <param name="configure">Its options.</param>
    /// <param name="degradedBelowPercent">The health check's threshold.</param>
    /// <param name="time">The container's clock; the system's when null.</param>
    /// <param name="build">More for the service's builder (an endpoint source, say).</param>
    public static TelemetryHost Create(string service, Action<LoadBalancingOptions> configure, int degradedBelowPercent = 50,
        TimeProvider? time = null, Action<ILoadBalancedServiceBuilder>? build = null)
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders().AddRecording(logs).SetMinimumLevel(LogLevel.Trace));
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLoadBalancedHttpClient(service, configure);
        build?.Invoke(services.AddLoadBalancedService(service));
        services.AddHealthChecks().AddLoadBalancerPools(degradedBelowPercent: degradedBelowPercent);
        return new TelemetryHost(services.BuildServiceProvider(), service, logs);
    }

    /// <summary>Sends <paramref name="count"/> GETs one after another; returns their status codes.</summary>
    public async Task<int[]> GetAsync(string pathAndQuery, int count)
    {
        var codes = new int[count];
        for (var i = 0; i < count; i++)
        {
            using var response = await Client.GetAsync(pathAndQuery);
            codes[i] = (int)response.StatusCode;
            await Pool.SettleAsync(); // a request that crossed a threshold has its ejection published before the next
        }

        return codes;
    }

    public void Dispose()
    {
        Client.Dispose();
        _services.Dispose();
    }
}

internal static class TelemetryKit
{
    public const string ServiceTag = "loadstone.service";
    public const string EndpointTag = "loadstone.endpoint";
    public const string OutcomeTag = "loadstone.outcome";
    public const string HealthTag = "loadstone.endpoint.health";
    public const string ReasonTag = "loadstone.endpoint.health_reason";

    /// <summary>The path and query tests send: its parts must never appear in a tag.</summary>
    public const string SecretPath = "/orders/user-4711?token=s3cr3t";

    /// <summary>A unique, valid service name, so parallel tests never read each other's measurements.</summary>
    public static string UniqueService(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 63)];

    /// <summary>The endpoint tag value of a backend: the endpoint's base address, without a trailing slash.</summary>
    public static string EndpointOf(TestBackend backend) => new LoadBalancedEndpoint(backend.Address.ToString()).BaseAddress;

    /// <summary>Waits (bounded: 20 s, generous for a loaded machine) for something asynchronous, failing with <paramref name="what"/>.</summary>
    public static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), $"Timed out waiting for: {what}");

    /// <summary>No tag of any measurement carries the request's path or query.</summary>
    public static void AssertNoRequestData(IEnumerable<IReadOnlyDictionary<string, string?>> tagSets)
    {
        foreach (var tags in tagSets)
        {
            foreach (var (key, value) in tags)
            {
                Assert.False(value is not null && (value.Contains("user-4711", StringComparison.Ordinal)
                    || value.Contains("s3cr3t", StringComparison.Ordinal) || value.Contains("/orders", StringComparison.Ordinal)),
                    $"Tag {key}={value} carries request data.");
            }
        }
    }
}
