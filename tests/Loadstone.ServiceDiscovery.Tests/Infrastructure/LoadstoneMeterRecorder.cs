using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Loadstone.ServiceDiscovery.Tests;

/// <summary>
/// Records the measurements of the Loadstone meter of one container (its <see cref="IMeterFactory"/>), so tests running
/// in parallel never see each other's.
/// </summary>
public sealed class LoadstoneMeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public LoadstoneMeterRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LoadstoneMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<Recorded> Measurements { get; } = new();

    /// <summary>The measurements of one instrument, e.g. <c>loadstone.attempts</c>.</summary>
    public IReadOnlyList<Recorded> Of(string instrument) => Measurements.Where(m => m.Instrument == instrument).ToList();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString();
        }

        Measurements.Enqueue(new Recorded(instrument.Name, value, copy));
    }

    public sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags)
    {
        public string? Endpoint => Tags.GetValueOrDefault("loadstone.endpoint");

        public string? Outcome => Tags.GetValueOrDefault("loadstone.outcome");
    }
}
