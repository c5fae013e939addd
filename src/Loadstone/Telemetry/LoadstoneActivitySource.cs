using System.Diagnostics;

namespace Loadstone;

/// <summary>
/// The library's traces: one <see cref="Activity"/> per attempt, on the source named <see cref="Name"/>, tagged with the
/// service, the chosen endpoint and zone, the attempt number and why the endpoint was chosen. Created only when a
/// listener (OpenTelemetry's <c>AddSource("Loadstone")</c>) samples it.
/// </summary>
public static class LoadstoneActivitySource
{
    /// <summary>The activity source's name: <c>Loadstone</c>.</summary>
    public const string Name = "Loadstone";

    /// <summary>The name of the per-attempt activity: <c>loadstone.attempt</c>.</summary>
    public const string AttemptActivityName = "loadstone.attempt";

    internal static readonly ActivitySource Source = new(Name, typeof(LoadstoneActivitySource).Assembly.GetName().Version?.ToString());

    /// <summary>Starts an attempt's activity when someone listens; otherwise returns null at the cost of one check.</summary>
    internal static Activity? StartAttempt(ServicePool pool, LoadBalancedEndpoint endpoint, int attempt, bool failingOpen, bool hedge = false)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(AttemptActivityName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(LoadstoneMetrics.ServiceTag, pool.ServiceName);
            activity.SetTag(LoadstoneMetrics.EndpointTag, endpoint.BaseAddress);
            activity.SetTag("loadstone.endpoint.zone", endpoint.Zone);
            activity.SetTag("loadstone.attempt", attempt);
            activity.SetTag("loadstone.strategy", pool.StrategyName);
            activity.SetTag("loadstone.pick_reason", hedge ? "hedge on an endpoint not tried yet"
                : attempt > 1 ? "retry on an endpoint not tried yet" : failingOpen ? "strategy, failing open" : "strategy");
        }

        return activity;
    }

    internal static void Stop(Activity? activity, RequestOutcome outcome)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(LoadstoneMetrics.OutcomeTag, LoadstoneMetrics.OutcomeName(outcome));
        if (outcome is not (RequestOutcome.Success or RequestOutcome.Canceled))
        {
            activity.SetStatus(ActivityStatusCode.Error, LoadstoneMetrics.OutcomeName(outcome));
        }

        activity.Dispose();
    }
}
