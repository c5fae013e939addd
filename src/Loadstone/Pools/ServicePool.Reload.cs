using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>The pool's reload: options applied under the lock, keeping what the new settings do not change.</summary>
public sealed partial class ServicePool
{
    /// <summary>
    /// Applies reloaded options: new endpoints, strategy and health settings. Invalid options are rejected and the
    /// current ones kept. Endpoint sources are watched for the pool's lifetime and are not replaced.
    /// </summary>
    /// <returns><see langword="true"/> when applied.</returns>
    internal bool TryApplyOptions(LoadBalancingOptions options)
    {
        var problems = new LoadBalancingOptionsValidator(_strategies).Problems(ServiceName, options, Sources(_dependencies));
        if (problems.Count > 0)
        {
            Log.OptionsRejected(_logger, ServiceName, string.Join(" ", problems));
            return false;
        }

        lock (_gate)
        {
            var previous = _options;
            // Bindings survive a reload that keeps the sticky settings, so sessions are not reshuffled; so does the
            // strategy's state (a round-robin position, say) when the strategy stays.
            var sameStrategy = string.Equals(options.Strategy, previous.Strategy, StringComparison.OrdinalIgnoreCase);
            var sticky = SameStickiness(previous.StickySessions, options.StickySessions) ? _stages.Sticky : null;
            Volatile.Write(ref _options, options);
            _stages = CreateStages(options, sticky, sameStrategy ? _stages.Strategy : null);
            if (!SameSubsetting(previous, options))
            {
                _subsets = CreateSubsets(options);
            }

            ApplyFailurePolicies(options);
            ApplyActiveHealthOptions(previous.HealthChecks.Active.Enabled, options.HealthChecks.Active);
            Publish("options reloaded");
        }

        return true;
    }

    /// <summary>The retry, requeue and hedging policies of the options (each null when off); a hedging policy keeps its latency window.</summary>
    private void ApplyFailurePolicies(LoadBalancingOptions options)
    {
        Retry = options.Retries.Enabled ? new RetryPolicy(options.Retries, TimeProvider) : null;
        Requeue = options.Requeues.Enabled ? new RequeuePolicy(options.Requeues, TimeProvider) : null;
        Hedging = options.Hedging.Enabled ? new HedgingPolicy(options.Hedging, TimeProvider, Hedging?.Latencies) : null;
    }

    // Called under _gate after a reload: new settings reach the prober; turning checks on or off starts or stops it.
    private void ApplyActiveHealthOptions(bool wasEnabled, ActiveHealthCheckOptions active)
    {
        if (active.Enabled == wasEnabled)
        {
            _prober?.UpdateOptions(active);
            return;
        }

        ActiveCheckResults.Switch(_membership.States, active.Enabled);
        if (active.Enabled)
        {
            // Once started (housekeeping exists), start probing here; Publish starts the probes. Else start-up will.
            _prober = _housekeeping is null || _disposed.IsCancellationRequested ? null : new ActiveHealthProber(this, active);
        }
        else
        {
            _prober?.Dispose();
            _prober = null;
        }
    }

    private static bool SameStickiness(StickySessionOptions a, StickySessionOptions b) =>
        a.IsEnabled && b.IsEnabled
        && a.KeySource == b.KeySource && string.Equals(a.KeyName, b.KeyName, StringComparison.Ordinal)
        && a.KeySelector == b.KeySelector && a.Duration == b.Duration && a.FailurePolicy == b.FailurePolicy
        && a.MaxBindings == b.MaxBindings && a.BoundedLoadFactor.Equals(b.BoundedLoadFactor);

    /// <summary>The subsetting stage for the options, subscribed to its coordinate source; null when subsetting is off.</summary>
    private SubsetSelector? CreateSubsets(LoadBalancingOptions options)
    {
        _peerSubscription?.Dispose();
        _peerSubscription = null;
        if (!options.Subsetting.IsEnabled)
        {
            return null;
        }

        var subsets = new SubsetSelector(ServiceName, options.Subsetting, options.Zones.LocalZone, _dependencies.PeerCoordinates);
        _peerSubscription = ChangeToken.OnChange(
            () => subsets.Peers.GetChangeToken() ?? NeverChangeToken.Instance,
            () =>
            {
                lock (_gate)
                {
                    if (!_disposed.IsCancellationRequested)
                    {
                        Publish("peer coordinate changed");
                    }
                }
            });
        return subsets;
    }

    private static bool SameSubsetting(LoadBalancingOptions a, LoadBalancingOptions b) =>
        a.Subsetting.Mode == b.Subsetting.Mode && a.Subsetting.SubsetSize == b.Subsetting.SubsetSize
        && a.Subsetting.MinAperture == b.Subsetting.MinAperture && a.Subsetting.ClientIndex == b.Subsetting.ClientIndex
        && a.Subsetting.ClientCount == b.Subsetting.ClientCount && a.Subsetting.ZoneMode == b.Subsetting.ZoneMode
        && string.Equals(a.Zones.LocalZone, b.Zones.LocalZone, StringComparison.Ordinal);
}
