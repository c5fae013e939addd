using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// What telemetry costs the request path: the same balanced send as <see cref="HandlerBenchmarks"/> (through
/// <see cref="LoadBalancingHandler"/> to a stub that answers at once) with nobody listening, with a
/// <see cref="MeterListener"/> on every Loadstone instrument, and with that plus an <see cref="ActivityListener"/>
/// that samples every "loadstone.attempt" activity (the most a tracing backend can ask for).
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private ServicePool _pool = null!;
    private HttpMessageInvoker _balanced = null!;
    private HttpRequestMessage _request = null!;
    private MeterListener? _meterListener;
    private ActivityListener? _activityListener;
    private long _measurements;

    /// <summary>Who listens while requests are sent.</summary>
    public enum Listeners
    {
        None,
        Metrics,
        MetricsAndTraces,
    }

    [Params(Listeners.None, Listeners.Metrics, Listeners.MetricsAndTraces)]
    public Listeners Telemetry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = Pools.Create(LoadBalancingStrategies.PowerOfTwoChoices, 3, serviceName: "catalog");
        _balanced = new HttpMessageInvoker(new LoadBalancingHandler(_pool, new StubHandler()), disposeHandler: true);
        _request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items?page=2");

        if (Telemetry is Listeners.Metrics or Listeners.MetricsAndTraces)
        {
            // A listener that does the least a real one must: take every measurement and its tags.
            _meterListener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == LoadstoneMetrics.MeterName)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meterListener.SetMeasurementEventCallback<long>((_, value, tags, _) => _measurements += value + tags.Length);
            _meterListener.SetMeasurementEventCallback<double>((_, _, tags, _) => _measurements += tags.Length);
            _meterListener.Start();
        }

        if (Telemetry is Listeners.MetricsAndTraces)
        {
            _activityListener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == LoadstoneActivitySource.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _ => _measurements++,
            };
            ActivitySource.AddActivityListener(_activityListener);
        }

        // Warm the handler's route cache, as any request but the first finds it.
        _balanced.Send(_request, CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _activityListener?.Dispose();
        _meterListener?.Dispose();
        _balanced.Dispose();
        _pool.Dispose();
        _request.Dispose();
    }

    [Benchmark]
    public Task<HttpResponseMessage> BalancedAsync() => _balanced.SendAsync(_request, CancellationToken.None);

    /// <summary>Answers every request with the same response, synchronously.</summary>
    private sealed class StubHandler : HttpMessageHandler
    {
        private readonly HttpResponseMessage _response = new(System.Net.HttpStatusCode.OK);
        private readonly Task<HttpResponseMessage> _completed;

        public StubHandler() => _completed = Task.FromResult(_response);

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => _response;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => _completed;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
