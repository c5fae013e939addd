using System.Text.Json.Serialization;

namespace Loadstone.Scaling.Etcd;

/// <summary>One client's load report as stored at <c>{Prefix}load/{client}</c>: its pool's figures per endpoint and the endpoints it drains.</summary>
internal sealed class LoadReportDocument
{
    public Dictionary<string, EndpointLoadDocument> Endpoints { get; set; } = [];

    public List<string>? Draining { get; set; }

    public static LoadReportDocument From(BalancerReport report) => new()
    {
        Endpoints = report.Endpoints.ToDictionary(
            e => e.Key,
            e => new EndpointLoadDocument { InFlight = e.Value.InFlightRequests, PerMinute = e.Value.RequestsPerMinute, LatencyMs = e.Value.LatencyMilliseconds },
            StringComparer.Ordinal),
        Draining = report.Draining.Count == 0 ? null : [.. report.Draining],
    };

    public BalancerReport ToReport() => new(
        Endpoints.ToDictionary(e => e.Key, e => new EndpointLoad(e.Value.InFlight, e.Value.PerMinute, e.Value.LatencyMs), StringComparer.Ordinal),
        Draining ?? []);
}

internal sealed class EndpointLoadDocument
{
    public double InFlight { get; set; }

    public double? PerMinute { get; set; }

    public double LatencyMs { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadReportDocument))]
internal sealed partial class ScalingEtcdJson : JsonSerializerContext;
