using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loadstone;

/// <summary>
/// Passive health: Envoy-style outlier detection from the outcomes of real requests. Hears consecutive failures on
/// the request path (it is every endpoint's outcome observer) and hands an ejection to the control plane, so the
/// request that crossed a threshold returns at once; ejects (within <see cref="OutlierDetectionOptions.MaxEjectionPercent"/>),
/// ends ejections when their time passes or a probe passes, judges failure rates each interval, and decays the
/// backoff. Everything but <see cref="IOutcomeObserver.OnConsecutiveFailures"/> runs on the control plane, under the pool's lock.
/// </summary>
internal sealed partial class OutlierDetector : IOutcomeObserver
{
    private readonly string _serviceName;
    private readonly PoolTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly Func<OutlierDetectionOptions> _options;
    private readonly Action _ejectionsPending;
    private readonly ConcurrentQueue<(EndpointState State, EndpointHealthReason Rule)> _pending = new();
    private DateTimeOffset _nextEvaluation;

    /// <param name="telemetry">The pool's metrics (and its service name, for logs).</param>
    /// <param name="logger">Where ejections are logged.</param>
    /// <param name="options">Reads the current options (they change on reload).</param>
    /// <param name="ejectionsPending">
    /// Called on the request path when a threshold is crossed; it must hand <see cref="EjectPending"/> to the control
    /// plane and return at once.
    /// </param>
    public OutlierDetector(PoolTelemetry telemetry, ILogger logger, Func<OutlierDetectionOptions> options, Action ejectionsPending)
    {
        _telemetry = telemetry;
        _serviceName = telemetry.ServiceName;
        _logger = logger;
        _options = options;
        _ejectionsPending = ejectionsPending;
    }

    /// <summary>Starts the failure-rate intervals.</summary>
    public void Start(DateTimeOffset now) => _nextEvaluation = now + _options().Interval;

    /// <inheritdoc />
    void IOutcomeObserver.OnConsecutiveFailures(EndpointState state, EndpointHealthReason rule, int count)
    {
        var passive = _options();
        var threshold = rule switch
        {
            EndpointHealthReason.EjectedConsecutiveGatewayErrors => passive.ConsecutiveGatewayErrors,
            EndpointHealthReason.EjectedConsecutiveServerErrors => passive.ConsecutiveServerErrors,
            _ => passive.ConsecutiveLocalFailures,
        };

        // Equality, not >=: one hand-off per streak.
        if (passive.Enabled && threshold > 0 && count == threshold)
        {
            state.EjectionPending = true;
            _pending.Enqueue((state, rule));
            _ejectionsPending();
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
            changed |= TryEject(membership, item.State, item.Rule, now);
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
    /// Control plane, once a second: ends ejections whose time passed and, once per interval, applies the failure-rate
    /// rule and decays the backoff of endpoints that stayed out of trouble.
    /// </summary>
    /// <returns>Whether an endpoint was ejected or returned.</returns>
    public bool Evaluate(Membership membership, DateTimeOffset now)
    {
        var changed = false;
        foreach (var state in membership.States)
        {
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

        var passive = _options();
        _nextEvaluation = now + passive.Interval;
        foreach (var state in membership.States.ToList())
        {
            var (requests, failures) = state.TakeWindow();
            // Envoy's backoff decay: one step per whole interval spent out of ejection.
            if (state.EjectedUntil is null && state.EjectionMultiplier > 0 && now - state.EjectionEndedAt >= passive.Interval)
            {
                state.EjectionMultiplier--;
            }

            if (passive.Enabled && passive.FailureRateThreshold > 0 && requests >= passive.FailureRateMinimumRequests
                && failures >= passive.FailureRateThreshold * requests)
            {
                changed |= TryEject(membership, state, EndpointHealthReason.EjectedFailureRate, now);
            }
        }

        return changed;
    }

    private bool TryEject(Membership membership, EndpointState state, EndpointHealthReason reason, DateTimeOffset now)
    {
        if (state.EjectedUntil is not null || !membership.IsMember(state))
        {
            return false;
        }

        var passive = _options();
        var ejected = membership.States.Count(s => s.EjectedUntil is not null);
        var limit = Math.Max(1, membership.MemberCount * passive.MaxEjectionPercent / 100);
        if (ejected >= limit)
        {
            Log.EjectionSkipped(_logger, _serviceName, state.Endpoint.BaseAddress, reason, ejected, limit);
            return false;
        }

        state.EjectionMultiplier++;
        state.EjectionCount++;
        var length = TimeSpan.FromTicks(Math.Min(passive.BaseEjectionTime.Ticks * state.EjectionMultiplier, passive.MaxEjectionTime.Ticks));
        state.EjectedUntil = now + length;
        state.EjectionReason = reason;
        state.ResetConsecutiveFailures();
        Log.Ejected(_logger, _serviceName, state.Endpoint.BaseAddress, reason, length);
        _telemetry.RecordEjection(state, reason);
        return true;
    }

    private void EndEjection(EndpointState state, DateTimeOffset now, string why)
    {
        state.EjectedUntil = null;
        state.EjectionEndedAt = now;
        state.ResetConsecutiveFailures();
        Log.EjectionEnded(_logger, _serviceName, state.Endpoint.BaseAddress, why);
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Warning, "Service '{Service}' ejected endpoint {Endpoint} ({Reason}) for {Duration}.", EventName = "EndpointEjected")]
        public static partial void Ejected(ILogger logger, string service, string endpoint, EndpointHealthReason reason, TimeSpan duration);

        [LoggerMessage(21, LogLevel.Information, "Service '{Service}' returned endpoint {Endpoint} to service: {Why}.", EventName = "EjectionEnded")]
        public static partial void EjectionEnded(ILogger logger, string service, string endpoint, string why);

        [LoggerMessage(22, LogLevel.Warning, "Service '{Service}' did not eject endpoint {Endpoint} ({Reason}): {Ejected} of at most {Limit} endpoints are already ejected.", EventName = "EjectionSkipped")]
        public static partial void EjectionSkipped(ILogger logger, string service, string endpoint, EndpointHealthReason reason, int ejected, int limit);
    }
}
