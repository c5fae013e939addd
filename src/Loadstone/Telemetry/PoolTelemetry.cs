using System.Diagnostics;

namespace Loadstone;

/// <summary>
/// One pool's measurements on its meter: every recording tagged with the service, and skipped at the cost of one check
/// when nobody listens. Tags are bounded: service, endpoint address, outcome, reason, rule name, never request data.
/// </summary>
internal sealed class PoolTelemetry(string serviceName, LoadstoneInstruments instruments)
{
    public string ServiceName { get; } = serviceName;

    public LoadstoneInstruments Instruments { get; } = instruments;

    public void RecordAttempt(EndpointState state, RequestOutcome outcome, double seconds)
    {
        if (!Instruments.Attempts.Enabled && !Instruments.AttemptDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { LoadstoneMetrics.ServiceTag, ServiceName },
            { LoadstoneMetrics.EndpointTag, state.Endpoint.BaseAddress },
            { LoadstoneMetrics.OutcomeTag, LoadstoneMetrics.OutcomeName(outcome) },
        };
        Instruments.Attempts.Add(1, tags);
        Instruments.AttemptDuration.Record(seconds, tags);
    }

    public void RecordRequest(RequestOutcome outcome)
    {
        if (Instruments.Requests.Enabled)
        {
            Instruments.Requests.Add(1, Service, new(LoadstoneMetrics.OutcomeTag, LoadstoneMetrics.OutcomeName(outcome)));
        }
    }

    public void RecordRetry() => Instruments.Retries.Add(1, Service);

    public void RecordEjection(EndpointState state, EndpointHealthReason reason) =>
        Instruments.Ejections.Add(1, Service,
            new(LoadstoneMetrics.EndpointTag, state.Endpoint.BaseAddress),
            new(LoadstoneMetrics.ReasonTag, reason.ToString()));

    /// <summary>Counts an outlier found by a rule and what was done with it (a constant action name).</summary>
    public void RecordOutlier(EndpointHealthReason reason, string action)
    {
        if (Instruments.Outliers.Enabled)
        {
            Instruments.Outliers.Add(1, Service, new(LoadstoneMetrics.ReasonTag, reason.ToString()), new(LoadstoneMetrics.OutlierActionTag, action));
        }
    }

    public void RecordRequeue() => Instruments.Requeues.Add(1, Service);

    /// <summary>Counts a hedge by its result: a constant name (won, lost, failed), never request data.</summary>
    public void RecordHedge(string result)
    {
        if (Instruments.Hedges.Enabled)
        {
            Instruments.Hedges.Add(1, Service, new(LoadstoneMetrics.HedgeResultTag, result));
        }
    }

    public void RecordZoneFailOpenEpisode(string? zone) =>
        Instruments.FailOpenEpisodes.Add(1, Service, new(LoadstoneMetrics.ZoneTag, zone ?? ""));

    public void RecordFailOpenEpisode() => Instruments.FailOpenEpisodes.Add(1, Service);

    public void RecordMembershipChange() => Instruments.MembershipChanges.Add(1, Service);

    /// <summary>Counts a sticky decision; <paramref name="result"/> is one of the constant result names, never a key.</summary>
    public void RecordStickyDecision(string result)
    {
        if (Instruments.StickyDecisions.Enabled)
        {
            Instruments.StickyDecisions.Add(1, Service, new(LoadstoneMetrics.StickyResultTag, result));
        }
    }

    public void RecordZonePick(bool local)
    {
        if (Instruments.ZonePicks.Enabled)
        {
            Instruments.ZonePicks.Add(1, Service, new(LoadstoneMetrics.ZoneKindTag, local ? "local" : "remote"));
        }
    }

    public void RecordRuleMatch(string rule)
    {
        if (Instruments.RuleMatches.Enabled)
        {
            Instruments.RuleMatches.Add(1, Service, new(LoadstoneMetrics.RuleTag, rule));
        }
    }

    private KeyValuePair<string, object?> Service => new(LoadstoneMetrics.ServiceTag, ServiceName);
}
