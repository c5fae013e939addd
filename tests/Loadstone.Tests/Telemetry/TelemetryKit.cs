using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary>One measurement of a Loadstone instrument, its tags as strings.</summary>
internal sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// Every instrument of the Loadstone meter of one scope, each read by a <see cref="MetricCollector{T}"/>
/// (Microsoft.Extensions.Diagnostics.Testing), keeping only the measurements tagged with one service. The scope is a
/// container's <see cref="IMeterFactory"/> (its pools' meter, seen by no other container), or null for the meter that
/// pools made without a container share in the process; tests run in parallel, so there the service tag keeps each
/// test to its own numbers.
/// </summary>
internal sealed class LoadstoneMetricCollector : IDisposable
{
    private static readonly (string Name, Type Type)[] s_instruments =
    [
        ("loadstone.attempts", typeof(long)), ("loadstone.attempt.duration", typeof(double)), ("loadstone.requests", typeof(long)),
        ("loadstone.retries", typeof(long)), ("loadstone.endpoint.ejections", typeof(long)), ("loadstone.pool.fail_open.episodes", typeof(long)),
        ("loadstone.endpoint.outliers", typeof(long)), ("loadstone.requeues", typeof(long)), ("loadstone.hedges", typeof(long)),
        ("loadstone.pool.membership.changes", typeof(long)), ("loadstone.sticky.decisions", typeof(long)), ("loadstone.zone.picks", typeof(long)),
        ("loadstone.routing.rule_matches", typeof(long)), ("loadstone.endpoint.active_requests", typeof(int)), ("loadstone.endpoint.health", typeof(int)),
        ("loadstone.endpoint.weight_factor", typeof(double)), ("loadstone.pool.endpoints", typeof(int)), ("loadstone.pool.fail_open", typeof(int)),
        ("loadstone.connections.opened", typeof(long)), ("loadstone.connections.failed", typeof(long)), ("loadstone.connections.active", typeof(long)),
        ("loadstone.connection.duration", typeof(double)),
    ];

    private readonly string _service;
    private readonly Dictionary<string, Collector> _collectors;

    /// <param name="service">The service whose measurements are kept.</param>
    /// <param name="meterFactory">The container's meter factory, or null for the meter shared by pools made without one.</param>
    public LoadstoneMetricCollector(string service, IMeterFactory? meterFactory = null)
    {
        _service = service;
        _collectors = s_instruments.ToDictionary(i => i.Name, i => Collector.Create(meterFactory, i.Name, i.Type), StringComparer.Ordinal);
    }

    /// <summary>Every measurement of this service so far, by instrument.</summary>
    public IReadOnlyList<Recorded> All => _collectors.Keys.SelectMany(Of).ToArray();

    /// <summary>The measurements of one instrument, in order.</summary>
    public IReadOnlyList<Recorded> Of(string instrument) => Mine(Known(instrument).Snapshot());

    /// <summary>The sum of a counter's increments whose tags include every given pair.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] match) =>
        Of(instrument).Where(r => match.All(m => r.Tag(m.Key) == m.Value)).Sum(r => r.Value);

    /// <summary>The instrument itself (for its advice, say), once published.</summary>
    public Instrument? Instrument(string instrument) => Known(instrument).Instrument;

    /// <summary>Reads the observable gauge now and returns this service's current values.</summary>
    public IReadOnlyList<Recorded> Observe(string instrument)
    {
        var collector = Known(instrument);
        var before = collector.Snapshot().Count;
        collector.RecordObservable();
        return Mine(collector.Snapshot().Skip(before));
    }

    public void Dispose()
    {
        foreach (var collector in _collectors.Values)
        {
            collector.Dispose();
        }
    }

    private Collector Known(string instrument) =>
        _collectors.TryGetValue(instrument, out var collector) ? collector : throw new ArgumentException($"No Loadstone instrument named {instrument}.", nameof(instrument));

    private Recorded[] Mine(IEnumerable<Recorded> measurements) =>
        measurements.Where(r => r.Tag(TelemetryKit.ServiceTag) == _service).ToArray();

    /// <summary>One <see cref="MetricCollector{T}"/> whatever its T, its measurements as <see cref="Recorded"/>.</summary>
    private abstract class Collector : IDisposable
    {
        public static Collector Create(IMeterFactory? scope, string instrument, Type type) =>
            type == typeof(long) ? new Typed<long>(scope, instrument)
            : type == typeof(int) ? new Typed<int>(scope, instrument)
            : new Typed<double>(scope, instrument);

        public abstract IReadOnlyList<Recorded> Snapshot();

        public abstract void RecordObservable();

        public abstract Instrument? Instrument { get; }

        public abstract void Dispose();

        private sealed class Typed<T>(IMeterFactory? scope, string instrument) : Collector
            where T : struct
        {
            private readonly MetricCollector<T> _collector = new(scope, LoadstoneMetrics.MeterName, instrument);

            public override IReadOnlyList<Recorded> Snapshot() =>
                _collector.GetMeasurementSnapshot().Select(m => new Recorded(instrument,
                    Convert.ToDouble(m.Value, System.Globalization.CultureInfo.InvariantCulture),
                    m.Tags.ToDictionary(t => t.Key, t => t.Value?.ToString(), StringComparer.Ordinal))).ToArray();

            public override void RecordObservable() => _collector.RecordObservableInstruments();

            public override Instrument? Instrument => _collector.Instrument;

            public override void Dispose() => _collector.Dispose();
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
        Metrics = new LoadstoneMetricCollector(service, services.GetRequiredService<IMeterFactory>()); // before the pool exists
        Client = services.GetRequiredService<IHttpClientFactory>().CreateClient(service);
    }

    public string Service { get; }

    public HttpClient Client { get; }

    /// <summary>Every log entry of the container, at every level.</summary>
    public FakeLogCollector Logs { get; }

    /// <summary>The container's Loadstone metrics (its own meter: no other container's pools in it).</summary>
    public LoadstoneMetricCollector Metrics { get; }

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
        Metrics.Dispose();
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
