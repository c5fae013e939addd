
namespace Loadstone;

/// <summary>
/// The library's metrics, on meters named <see cref="MeterName"/>: a container's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>
/// creates one per container; pools made without a factory share one per process. Tags are bounded: service, endpoint
/// (an address of the pool), outcome, health state and reason; never a request's path, key or other user data. Duration
/// histograms advise the bucket boundaries of <c>http.client.request.duration</c> (5 ms to 10 s).
/// </summary>
public static class LoadstoneMetrics
{
    /// <summary>The meter's name: <c>Loadstone</c>. Subscribe to it with OpenTelemetry's <c>AddMeter("Loadstone")</c> or dotnet-counters.</summary>
    public const string MeterName = "Loadstone";

    internal const string ServiceTag = "loadstone.service";
    internal const string EndpointTag = "loadstone.endpoint";
    internal const string OutcomeTag = "loadstone.outcome";
    internal const string HealthTag = "loadstone.endpoint.health";
    internal const string ReasonTag = "loadstone.endpoint.health_reason";
    internal const string StickyResultTag = "loadstone.sticky.result";
    internal const string ZoneKindTag = "loadstone.zone.kind";
    internal const string RuleTag = "loadstone.routing.rule";
    internal const string OutlierActionTag = "loadstone.outlier.action";
    internal const string HedgeResultTag = "loadstone.hedge.result";
    internal const string ZoneTag = "loadstone.zone";

    internal static string OutcomeName(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.Success => "success",
        RequestOutcome.ServerError => "server_error",
        RequestOutcome.GatewayError => "gateway_error",
        RequestOutcome.ConnectionFailure => "connection_failure",
        RequestOutcome.Timeout => "timeout",
        RequestOutcome.Canceled => "canceled",
        RequestOutcome.Unreachable => "unreachable",
        _ => "unknown",
    };
}
