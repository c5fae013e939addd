using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loadstone;

/// <summary>
/// Passive health: Envoy-style outlier detection from the outcomes of real requests. Counts failure streaks on the request
/// path (it is every endpoint's outcome observer) and hands an ejection to the control plane, so the request that crossed
/// a threshold returns at once; ejects within <see cref="OutlierDetectionOptions.MaxEjectionPercent"/> (and beyond it,
/// within the fail-open thresholds, an endpoint that refuses connections), ends ejections when their time passes or a
/// probe passes, applies the rate rules each interval, and decays the backoff. Everything but
/// <see cref="IOutcomeObserver.OnFailure"/> runs on the control plane, under the pool's lock.
/// </summary>
internal sealed partial class OutlierDetector : IOutcomeObserver
{
    private readonly string _serviceName;
    private readonly PoolTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Func<LoadBalancingOptions> _options;
    private readonly Random _random;
    private readonly Action _ejectionsPending;
    private readonly ConcurrentQueue<(EndpointState State, EndpointHealthReason Rule, bool Unreachable)> _pending = new();
    private DateTimeOffset _nextEvaluation;
    private DateTimeOffset _lastDecay;

    /// <param name="telemetry">The pool's metrics (and its service name, for logs).</param>
    /// <param name="logger">Where ejections are logged.</param>
    /// <param name="options">Reads the pool's current options (they change on reload).</param>
    /// <param name="random">Decides enforcement when <see cref="OutlierDetectionOptions.EnforcingPercent"/> is below 100.</param>
    /// <param name="ejectionsPending">
    /// Called on the request path when a threshold is crossed; it must hand <see cref="EjectPending"/> to the control
    /// plane and return at once.
    /// </param>
    public OutlierDetector(PoolTelemetry telemetry, ILogger logger, Func<LoadBalancingOptions> options, Random random, Action ejectionsPending)
    {
        _telemetry = telemetry;
        _serviceName = telemetry.ServiceName;
        _logger = logger;
        _options = options;
        _random = random;
        _ejectionsPending = ejectionsPending;
    }

    /// <summary>Starts the rate-rule intervals.</summary>
    public void Start(DateTimeOffset now)
    {
        _nextEvaluation = now + _options().HealthChecks.Passive.Interval;
        _lastDecay = now;
    }

    /// <inheritdoc />
    void IOutcomeObserver.OnFailure(EndpointState state, RequestOutcome outcome)
    {
        var passive = _options().HealthChecks.Passive;
        var local = outcome is not (RequestOutcome.ServerError or RequestOutcome.GatewayError);
        var unreachable = outcome == RequestOutcome.Unreachable ? Interlocked.Increment(ref state.ConsecutiveUnreachable) : Reset(ref state.ConsecutiveUnreachable);
        var localCount = local ? Interlocked.Increment(ref state.ConsecutiveLocalFailures) : Reset(ref state.ConsecutiveLocalFailures);
        if (local && passive.SplitLocalFailures)
        {
            // Envoy's split: a local failure counts only toward its own streak, and leaves the 5xx streaks alone.
            if (Crosses(localCount, passive.ConsecutiveLocalFailures))
            {
                HandOff(passive, state, EndpointHealthReason.EjectedConsecutiveLocalFailures, unreachable >= passive.ConsecutiveLocalFailures);
            }

            return;
        }

        // Without the split (Envoy's default), a failure without a response counts as a gateway error, as Envoy maps a
        // connection failure to 503 and a timeout to 504. When the failures that crossed the threshold (the last
        // `threshold` of the streak) were all local, the ejection is reported as such, and when they were all
        // undelivered, the endpoint refuses connections.
        var gateway = local || outcome == RequestOutcome.GatewayError;
        var gatewayCount = gateway ? Interlocked.Increment(ref state.ConsecutiveGatewayErrors) : Reset(ref state.ConsecutiveGatewayErrors);
        var serverCount = Interlocked.Increment(ref state.ConsecutiveServerErrors);
        var (rule, threshold) = gateway && Crosses(gatewayCount, passive.ConsecutiveGatewayErrors)
            ? (EndpointHealthReason.EjectedConsecutiveGatewayErrors, passive.ConsecutiveGatewayErrors)
            : Crosses(serverCount, passive.ConsecutiveServerErrors) ? (EndpointHealthReason.EjectedConsecutiveServerErrors, passive.ConsecutiveServerErrors)
            : (EndpointHealthReason.None, 0);
        if (threshold > 0)
        {
            HandOff(passive, state, localCount >= threshold ? EndpointHealthReason.EjectedConsecutiveLocalFailures : rule, unreachable >= threshold);
        }
    }

    /// <summary>
    /// Control plane: ejects the endpoints whose streaks crossed a threshold since the last call, then calls
    /// <paramref name="publish"/> (when any was ejected) and only then lets picks see the endpoints again, so a pick never
    /// falls between the decision and the snapshot that carries it.
    /// </summary>
    public void EjectPending(Membership membership, DateTimeOffset now, Action publish)
    {
        List<EndpointState>? decided = null;
        var changed = false;
        while (_pending.TryDequeue(out var item))
        {
            changed |= TryEject(membership, item.State, item.Rule, item.Unreachable, now);
            (decided ??= []).Add(item.State);
        }

        if (changed)
        {
            publish();
        }

        foreach (var state in decided ?? [])
        {
            state.EjectionPending = false;
        }
    }

    /// <summary>Control plane: a passing active check ends an ejection early.</summary>
    public bool OnProbePassed(EndpointState state, DateTimeOffset now)
    {
        if (state.EjectedUntil is null)
        {
            return false;
        }

        EndEjection(state, now, "a health check passed");
        return true;
    }

    /// <summary>
    /// Control plane, once a second: ends ejections whose time passed, lets recent failures fade, and once per interval
    /// applies the success-rate and failure-rate rules and decays the backoff of endpoints that stayed out of trouble.
    /// </summary>
    /// <returns>Whether an endpoint was ejected or returned.</returns>
    public bool Evaluate(Membership membership, DateTimeOffset now)
    {
        var options = _options();
        var changed = false;
        var decay = Math.Exp(-(now - _lastDecay) / options.LatencyDecayTime);
        _lastDecay = now;
        foreach (var state in membership.States)
        {
            state.DecayRecentFailures(decay);
            if (state.EjectedUntil is { } until && until <= now)
            {
                EndEjection(state, now, "the ejection time passed");
                changed = true;
            }
        }

        if (now < _nextEvaluation)
        {
            return changed;
        }

        var passive = options.HealthChecks.Passive;
        _nextEvaluation = now + passive.Interval;
        var windows = new List<OutlierRateRules.Window>();
        foreach (var state in membership.States.ToList())
        {
            var (requests, failures) = state.TakeWindow();
            // Envoy's backoff decay: one step per interval tick, once a whole interval has passed since the ejection ended.
            if (state.EjectedUntil is null && state.EjectionMultiplier > 0 && now - state.EjectionEndedAt >= passive.Interval)
            {
                state.EjectionMultiplier--;
            }

            if (state.EjectedUntil is null && membership.IsMember(state))
            {
                windows.Add(new(state, requests, failures));
            }
        }

        if (passive.Enabled)
        {
            foreach (var state in OutlierRateRules.SuccessRateOutliers(windows, passive))
            {
                changed |= TryEject(membership, state, EndpointHealthReason.EjectedSuccessRate, unreachable: false, now);
            }

            foreach (var state in OutlierRateRules.FailureRateOutliers(windows, passive))
            {
                changed |= TryEject(membership, state, EndpointHealthReason.EjectedFailureRate, unreachable: false, now);
            }
        }

        return changed;
    }

    private void HandOff(OutlierDetectionOptions passive, EndpointState state, EndpointHealthReason rule, bool unreachable)
    {
        if (!passive.Enabled)
        {
            return;
        }

        state.EjectionPending = true;
        _pending.Enqueue((state, rule, unreachable));
        _ejectionsPending();
    }

    private bool TryEject(Membership membership, EndpointState state, EndpointHealthReason reason, bool unreachable, DateTimeOffset now)
    {
        if (state.EjectedUntil is not null || !membership.IsMember(state))
        {
            return false;
        }

        var options = _options();
        var passive = options.HealthChecks.Passive;
        var members = membership.States.Where(membership.IsMember).ToList();
        var ejected = members.Count(s => s.EjectedUntil is not null);
        var limit = Math.Max(1, members.Count * passive.MaxEjectionPercent / 100);
        var beyondCap = false;
        if (ejected >= limit)
        {
            // The cap guards against ejecting endpoints that answer badly because of load the others would then get. An
            // endpoint that refuses connections serves nobody: take it out while the fail-open thresholds stay met.
            if (!unreachable)
            {
                Refuse(state, reason, now, EndpointRoutingNote.EjectionRefusedMaxEjectionPercent);
                Log.EjectionSkipped(_logger, _serviceName, state.Endpoint.BaseAddress, reason, ejected, limit);
                return false;
            }

            var healthyAfter = members.Count(s => s != state && s.EjectedUntil is null && s.ActiveHealth is EndpointHealth.Healthy or EndpointHealth.Unchecked);
            if (healthyAfter == 0 || FailOpen.IsBreached(members.Count, healthyAfter, options.HealthChecks.FailOpen))
            {
                Refuse(state, reason, now, EndpointRoutingNote.EjectionRefusedFailOpenThreshold);
                Log.EjectionSkippedFailOpen(_logger, _serviceName, state.Endpoint.BaseAddress, reason, healthyAfter, members.Count);
                return false;
            }

            beyondCap = true;
        }

        if (passive.EnforcingPercent < 100 && (passive.EnforcingPercent == 0 || _random.NextDouble() * 100 >= passive.EnforcingPercent))
        {
            Refuse(state, reason, now, EndpointRoutingNote.OutlierNotEnforced);
            Log.OutlierNotEnforced(_logger, _serviceName, state.Endpoint.BaseAddress, reason, passive.EnforcingPercent);
            return false;
        }

        // Envoy's cap on the multiplier: it stops growing once base × multiplier reaches max + base, so a recovered endpoint
        // gets shorter ejections again after a few quiet intervals rather than one per ejection it ever had.
        if ((long)state.EjectionMultiplier * passive.BaseEjectionTime.Ticks < passive.MaxEjectionTime.Ticks + passive.BaseEjectionTime.Ticks)
        {
            state.EjectionMultiplier++;
        }

        state.EjectionCount++;
        var length = TimeSpan.FromTicks(Math.Min(passive.BaseEjectionTime.Ticks * state.EjectionMultiplier, passive.MaxEjectionTime.Ticks));
        state.EjectedUntil = now + length;
        state.EjectionReason = reason;
        state.OutlierNote = beyondCap ? EndpointRoutingNote.EjectedBeyondMaxEjectionPercent : EndpointRoutingNote.None;
        state.OutlierNoteAt = now;
        state.ResetConsecutiveFailures();
        Log.Ejected(_logger, _serviceName, state.Endpoint.BaseAddress, reason, length);
        _telemetry.RecordEjection(state, reason);
        _telemetry.RecordOutlier(reason, beyondCap ? "ejected_beyond_max_ejection_percent" : "ejected");
        return true;
    }

    private void Refuse(EndpointState state, EndpointHealthReason reason, DateTimeOffset now, EndpointRoutingNote note)
    {
        state.OutlierNote = note;
        state.OutlierNoteAt = now;
        _telemetry.RecordOutlier(reason, note switch
        {
            EndpointRoutingNote.EjectionRefusedMaxEjectionPercent => "refused_max_ejection_percent",
            EndpointRoutingNote.EjectionRefusedFailOpenThreshold => "refused_fail_open_threshold",
            _ => "not_enforced",
        });
    }

    private void EndEjection(EndpointState state, DateTimeOffset now, string why)
    {
        state.EjectedUntil = null;
        state.EjectionEndedAt = now;
        state.OutlierNote = EndpointRoutingNote.None;
        state.ResetConsecutiveFailures();
        Log.EjectionEnded(_logger, _serviceName, state.Endpoint.BaseAddress, why);
    }

    // Each further `threshold` failures of the same streak tries again: Envoy resets a streak after every ejection
    // attempt, so an ejection refused by the cap is retried once the streak runs as long again.
    private static bool Crosses(int count, int threshold) => threshold > 0 && count % threshold == 0;

    private static int Reset(ref int counter)
    {
        if (counter != 0)
        {
            counter = 0;
        }

        return 0;
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Warning, "Service '{Service}' ejected endpoint {Endpoint} ({Reason}) for {Duration}.", EventName = "EndpointEjected")]
        public static partial void Ejected(ILogger logger, string service, string endpoint, EndpointHealthReason reason, TimeSpan duration);

        [LoggerMessage(21, LogLevel.Information, "Service '{Service}' returned endpoint {Endpoint} to service: {Why}.", EventName = "EjectionEnded")]
        public static partial void EjectionEnded(ILogger logger, string service, string endpoint, string why);

        [LoggerMessage(22, LogLevel.Warning, "Service '{Service}' did not eject endpoint {Endpoint} ({Reason}): {Ejected} of at most {Limit} endpoints are already ejected.", EventName = "EjectionSkipped")]
        public static partial void EjectionSkipped(ILogger logger, string service, string endpoint, EndpointHealthReason reason, int ejected, int limit);

        [LoggerMessage(400, LogLevel.Warning, "Service '{Service}' did not eject endpoint {Endpoint} ({Reason}), which refuses connections: only {Healthy} of {Total} endpoints would stay healthy, below the fail-open thresholds.", EventName = "EjectionSkippedFailOpen")]
        public static partial void EjectionSkippedFailOpen(ILogger logger, string service, string endpoint, EndpointHealthReason reason, int healthy, int total);

        [LoggerMessage(401, LogLevel.Warning, "Service '{Service}' found endpoint {Endpoint} an outlier ({Reason}) but did not eject it (EnforcingPercent {Percent}).", EventName = "OutlierNotEnforced")]
        public static partial void OutlierNotEnforced(ILogger logger, string service, string endpoint, EndpointHealthReason reason, int percent);
    }
}
