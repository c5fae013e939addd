using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// The balancer of one logical service, like an ALB target group: its endpoints, their health and live state, and
/// the strategy that chooses among them. One pool per service, shared by every client and handler of that service.
/// </summary>
/// <remarks>
/// The request path (<see cref="Acquire"/>) reads an immutable snapshot and takes no lock. The control plane
/// (endpoint sources, health probes, outlier detection, slow start, draining) changes state under a lock, builds a
/// new snapshot and publishes it with one reference swap. Create pools through dependency injection
/// (<c>AddLoadBalancedHttpClient</c>), or directly with this constructor where there is no container.
/// </remarks>
public sealed partial class ServicePool : IDisposable, IOutcomeObserver
{
    /// <summary>How often the control plane looks at time-driven state: ejections, slow start, draining.</summary>
    internal static readonly TimeSpan HousekeepingPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly StrategyCatalog _strategies;
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, EndpointState> _states = new(StringComparer.Ordinal);
    private readonly List<EndpointState> _draining = [];
    private readonly List<IDisposable> _subscriptions = [];

    private LoadBalancingOptions _options;
    private ILoadBalancingStrategy _strategy;
    private IReadOnlyList<LoadBalancedEndpoint>?[] _sourceEndpoints;
    private bool[] _sourceAnswered;
    private int _sourcesPending;
    private int _started;
    private ITimer? _housekeeping;
    private DateTimeOffset _nextOutlierEvaluation;
    private ActiveHealthProber? _prober;
    private volatile PoolSnapshot _snapshot;
    private bool _failOpenEpisode;

    /// <summary>Creates a pool without a container. Sources and health checks start on first use or on <see cref="InitializeAsync"/>.</summary>
    /// <param name="serviceName">The logical service name, e.g. <c>catalog</c>.</param>
    /// <param name="options">The options; validated here. The pool keeps a reference, so do not change them afterwards.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public ServicePool(string serviceName, LoadBalancingOptions options, ILoggerFactory? loggerFactory = null)
        : this(serviceName, options, loggerFactory, StrategyCatalog.BuiltInOnly, null)
    {
    }

    internal ServicePool(string serviceName, LoadBalancingOptions options, ILoggerFactory? loggerFactory,
        StrategyCatalog strategies, TimeProvider? containerTimeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(options);
        ServiceName = serviceName;
        _strategies = strategies;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger("Loadstone.ServicePool");
        ThrowIfInvalid(serviceName, options, strategies);

        TimeProvider = options.TimeProvider ?? containerTimeProvider ?? TimeProvider.System;
        Random = options.Random ?? Random.Shared;
        _options = options;
        StickyRouter = options.StickySessions.IsEnabled ? new StickySessionRouter(serviceName, options.StickySessions, TimeProvider) : null;
        Routing = options.Routes.Count > 0 ? RoutingTable.Build(serviceName, options.Routes, TimeProvider) : null;
        _strategy = Compose(strategies.Create(options, new StrategyContext(serviceName, Random, TimeProvider)), options);
        _sourceEndpoints = new IReadOnlyList<LoadBalancedEndpoint>?[options.EndpointSources.Count];
        _sourceAnswered = new bool[options.EndpointSources.Count];
        Retry = options.Retries.Enabled ? new RetryExecutor(options.Retries, TimeProvider) : null;
        lock (_gate)
        {
            _snapshot = BuildSnapshot(TimeProvider.GetUtcNow());
        }

        if (options.EndpointSources.Count == 0)
        {
            _ready.TrySetResult();
        }

        LoadstoneMetrics.Register(this);
        if (options.HealthChecks.Active is { Enabled: true, StartEagerly: true })
        {
            EnsureStarted();
        }
    }

    /// <summary>The logical service name.</summary>
    public string ServiceName { get; }

    /// <summary>The name of the strategy in use.</summary>
    public string StrategyName => _snapshot.Strategy.Name;

    /// <summary>The pool's clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Every endpoint of the pool with its live state: members in source order, then draining ones.</summary>
    public IReadOnlyList<EndpointState> Endpoints => _snapshot.All;

    /// <summary><see langword="true"/> while too few endpoints are healthy and the pool routes to all of them.</summary>
    public bool IsFailingOpen => _snapshot.FailOpen;

    internal Random Random { get; }

    internal ILoggerFactory LoggerFactory { get; }

    internal LoadBalancingOptions Options => Volatile.Read(ref _options);

    internal PoolSnapshot Snapshot => _snapshot;

    internal bool IsReady => _ready.Task.IsCompleted;

    /// <summary>The sticky-key router (key extraction and bindings), or null when sticky sessions are off.</summary>
    internal StickySessionRouter? StickyRouter { get; private set; }

    /// <summary>The compiled routing rules, or null when the service has none. Replaced when options are reloaded.</summary>
    internal RoutingTable? Routing { get; private set; }

    /// <summary>The retry policy, or null when retries are off. Replaced when options are reloaded.</summary>
    internal RetryExecutor? Retry { get; private set; }

    /// <summary>
    /// Starts watching the endpoint sources and probing endpoints (if not yet started) and waits until each source
    /// has delivered its first result. Pools without sources are ready at once.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait, not the sources.</param>
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        return _ready.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A point-in-time view of every endpoint: state, reason, in-flight requests, counters, latency and slow-start
    /// weight, for dashboards, health endpoints and tests.
    /// </summary>
    public ServicePoolStatus GetStatus()
    {
        var snapshot = _snapshot;
        var endpoints = new EndpointStatus[snapshot.All.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var s = snapshot.All[i];
            endpoints[i] = new EndpointStatus(s.Endpoint, s.Health, s.HealthReason, s.ActiveRequests, s.TotalRequests,
                s.FailedRequests, s.Latency, s.WeightFactor, s.EjectionCount, s.EjectedUntil);
        }

        return new ServicePoolStatus(ServiceName, snapshot.Strategy.Name, snapshot.FailOpen, endpoints);
    }

    /// <summary>
    /// Chooses an endpoint for one request and counts the request as in flight on it until the returned lease is
    /// completed. The protocol-agnostic core of the balancer: use it for clients other than HttpClient.
    /// </summary>
    /// <param name="request">The request, passed to the strategy; <see langword="null"/> when there is none.</param>
    /// <returns>A lease; call <see cref="EndpointLease.Complete"/> exactly once when the request ends.</returns>
    /// <exception cref="NoAvailableEndpointException">No endpoint can take the request; the reason says why.</exception>
    public EndpointLease Acquire(HttpRequestMessage? request = null) => AcquireFiltered(null, request);

    internal EndpointLease AcquireFiltered(EndpointFilter? filter, HttpRequestMessage? request) =>
        AcquireExcluding(filter, request, default);

    /// <summary>Acquires, avoiding the endpoints already tried by this request where another candidate exists.</summary>
    internal EndpointLease AcquireExcluding(EndpointFilter? filter, HttpRequestMessage? request, in TriedEndpoints tried)
    {
        if (_started == 0)
        {
            EnsureStarted();
        }

        var snapshot = _snapshot;
        var candidates = snapshot.GetCandidates(filter);
        if (candidates.Count == 0)
        {
            ThrowNoEndpoint(snapshot, filter);
        }

        var index = snapshot.Strategy.Pick(candidates, request);
        if ((uint)index >= (uint)candidates.Count)
        {
            ThrowBadPick(snapshot.Strategy, index, candidates.Count);
        }

        if (tried.Count > 0 && tried.Contains(candidates[index]))
        {
            index = PickUntried(snapshot, candidates, request, tried, index);
        }

        return new EndpointLease(candidates[index], TimeProvider, ServiceName);
    }

    /// <summary>Stops watching sources, probing and housekeeping.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
            _housekeeping?.Dispose();
            _prober?.Dispose();
        }

        LoadstoneMetrics.Unregister(this);

        _ready.TrySetResult();
    }

    /// <summary>
    /// Applies reloaded options: new endpoints, strategy and health settings. Invalid options are rejected and the
    /// current ones kept. Endpoint sources are watched for the pool's lifetime and are not replaced.
    /// </summary>
    /// <returns><see langword="true"/> when applied.</returns>
    internal bool TryApplyOptions(LoadBalancingOptions options)
    {
        var problems = new LoadBalancingOptionsValidator(_strategies).Problems(ServiceName, options);
        if (problems.Count > 0)
        {
            Log.OptionsRejected(_logger, ServiceName, string.Join(" ", problems));
            return false;
        }

        lock (_gate)
        {
            // Bindings survive a reload that keeps the sticky settings, so sessions are not reshuffled.
            if (!SameStickiness(_options.StickySessions, options.StickySessions))
            {
                StickyRouter = options.StickySessions.IsEnabled ? new StickySessionRouter(ServiceName, options.StickySessions, TimeProvider) : null;
            }

            Routing = options.Routes.Count > 0 ? RoutingTable.Build(ServiceName, options.Routes, TimeProvider, Routing) : null;
            var inner = _strategy is IWrappingStrategy wrapped ? wrapped.Innermost : _strategy;
            if (!string.Equals(options.Strategy, _options.Strategy, StringComparison.OrdinalIgnoreCase)
                || options.StrategyFactory != _options.StrategyFactory)
            {
                inner = _strategies.Create(options, new StrategyContext(ServiceName, Random, TimeProvider));
            }

            _strategy = Compose(inner, options);

            var sources = _options.EndpointSources;
            options.EndpointSources.Clear();
            foreach (var source in sources)
            {
                options.EndpointSources.Add(source);
            }

            var wasProbing = _options.HealthChecks.Active.Enabled;
            Volatile.Write(ref _options, options);
            Retry = options.Retries.Enabled ? new RetryExecutor(options.Retries, TimeProvider) : null;
            ApplyActiveHealthOptions(wasProbing, options.HealthChecks.Active);
            Publish("options reloaded");
        }

        return true;
    }

    // ---- Start-up and endpoint sources. ----

    private void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _nextOutlierEvaluation = TimeProvider.GetUtcNow() + _options.HealthChecks.Passive.Interval;
            _housekeeping = TimeProvider.CreateTimer(static s => ((ServicePool)s!).Housekeeping(), this,
                HousekeepingPeriod, HousekeepingPeriod);
            if (_options.HealthChecks.Active.Enabled)
            {
                _prober = new ActiveHealthProber(this, _options.HealthChecks.Active);
                _prober.Sync(_snapshot.All);
            }
        }

        var sources = _options.EndpointSources;
        _sourcesPending = sources.Count;
        for (var i = 0; i < sources.Count; i++)
        {
            var index = i;
            var source = sources[i];
            lock (_gate)
            {
                if (_disposed.IsCancellationRequested)
                {
                    return;
                }

                _subscriptions.Add(ChangeToken.OnChange(
                    () => source.GetChangeToken() ?? NeverChangeToken.Instance,
                    () => _ = RefreshSourceAsync(index, source)));
            }

            _ = RefreshSourceAsync(index, source);
        }
    }

    private async Task RefreshSourceAsync(int index, IEndpointSource source)
    {
        try
        {
            var endpoints = await source.GetEndpointsAsync(_disposed.Token).ConfigureAwait(false);
            var problems = endpoints is null
                ? [$"Endpoint source '{source.Name}' of service '{ServiceName}' returned null."]
                : EndpointValidation.ValidateSet(ServiceName, endpoints, source.AllowsEmpty);
            lock (_gate)
            {
                if (problems.Count > 0)
                {
                    Log.SourceUpdateRejected(_logger, ServiceName, source.Name, string.Join(" ", problems));
                }
                else if (!_disposed.IsCancellationRequested)
                {
                    _sourceEndpoints[index] = endpoints!;
                    Publish($"source '{source.Name}' updated");
                }
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.SourceFailed(_logger, ServiceName, source.Name, ex);
        }
        finally
        {
            // A source's first answer, good or bad, counts towards readiness: a failing source must not hang callers.
            lock (_gate)
            {
                if (!_sourceAnswered[index])
                {
                    _sourceAnswered[index] = true;
                    if (--_sourcesPending == 0)
                    {
                        _ready.TrySetResult();
                    }
                }
            }
        }
    }

    // ---- Health: probes, outliers, housekeeping. ----

    /// <summary>Records a probe result; called by the prober.</summary>
    internal void OnProbeResult(EndpointState state, bool passed, EndpointHealthReason failure)
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested || !_states.TryGetValue(state.Endpoint.Id, out var current) || current != state
                || !_options.HealthChecks.Active.Enabled)
            {
                return;
            }

            var active = _options.HealthChecks.Active;
            var before = state.ActiveHealth;
            if (passed)
            {
                state.ProbeFailures = 0;
                state.ProbeSuccesses++;
                if (before == EndpointHealth.Initial
                    || (before == EndpointHealth.Unhealthy && state.ProbeSuccesses >= active.HealthyThreshold))
                {
                    state.ActiveHealth = EndpointHealth.Healthy;
                    state.ActiveReason = EndpointHealthReason.None;
                }

                // A passing probe ends an outlier ejection early.
                if (state.EjectedUntil is not null)
                {
                    state.EjectedUntil = null;
                    state.EjectionEndedAt = TimeProvider.GetUtcNow();
                    state.ResetConsecutiveFailures();
                    Log.EjectionEnded(_logger, ServiceName, state.Endpoint.BaseAddress, "a health check passed");
                }
            }
            else
            {
                state.ProbeSuccesses = 0;
                state.ProbeFailures++;
                if (before != EndpointHealth.Unhealthy && state.ProbeFailures >= active.UnhealthyThreshold)
                {
                    state.ActiveHealth = EndpointHealth.Unhealthy;
                }

                if (state.ActiveHealth == EndpointHealth.Unhealthy)
                {
                    state.ActiveReason = failure;
                }
            }

            Publish(passed ? "health check passed" : "health check failed");
        }
    }

    // Called under _gate after a reload: new settings reach the prober; turning checks on or off starts or stops it.
    private void ApplyActiveHealthOptions(bool wasEnabled, ActiveHealthCheckOptions active)
    {
        if (active.Enabled == wasEnabled)
        {
            _prober?.UpdateOptions(active);
            return;
        }

        foreach (var state in _states.Values)
        {
            // Switched on: endpoints keep their traffic until probes say otherwise. Switched off: Unavailable.
            state.ProbeSuccesses = state.ProbeFailures = 0;
            state.ActiveHealth = active.Enabled ? EndpointHealth.Healthy : EndpointHealth.Unchecked;
            state.ActiveReason = active.Enabled ? EndpointHealthReason.None : EndpointHealthReason.HealthChecksDisabled;
        }

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

    /// <inheritdoc />
    void IOutcomeObserver.OnConsecutiveFailures(EndpointState state, EndpointHealthReason rule, int count)
    {
        var passive = Options.HealthChecks.Passive;
        var threshold = rule switch
        {
            EndpointHealthReason.EjectedConsecutiveGatewayErrors => passive.ConsecutiveGatewayErrors,
            EndpointHealthReason.EjectedConsecutiveServerErrors => passive.ConsecutiveServerErrors,
            _ => passive.ConsecutiveLocalFailures,
        };

        // Equality, not >=: one ejection per streak, and the lock is taken only at that moment.
        if (passive.Enabled && threshold > 0 && count == threshold)
        {
            lock (_gate)
            {
                if (TryEject(state, rule, TimeProvider.GetUtcNow()))
                {
                    Publish("outlier ejected");
                }
            }
        }
    }

    // Called under _gate.
    private bool TryEject(EndpointState state, EndpointHealthReason reason, DateTimeOffset now)
    {
        if (_disposed.IsCancellationRequested || state.EjectedUntil is not null || state.DrainDeadline is not null
            || !_states.TryGetValue(state.Endpoint.Id, out var current) || current != state)
        {
            return false;
        }

        var passive = _options.HealthChecks.Passive;
        var members = _states.Count - _draining.Count;
        var ejected = _states.Values.Count(s => s.EjectedUntil is not null);
        var limit = Math.Max(1, members * passive.MaxEjectionPercent / 100);
        if (ejected >= limit)
        {
            Log.EjectionSkipped(_logger, ServiceName, state.Endpoint.BaseAddress, reason, ejected, limit);
            return false;
        }

        state.EjectionMultiplier++;
        state.EjectionCount++;
        var length = TimeSpan.FromTicks(Math.Min(passive.BaseEjectionTime.Ticks * state.EjectionMultiplier, passive.MaxEjectionTime.Ticks));
        state.EjectedUntil = now + length;
        state.EjectionReason = reason;
        state.ResetConsecutiveFailures();
        Log.Ejected(_logger, ServiceName, state.Endpoint.BaseAddress, reason, length);
        LoadstoneMetrics.Ejections.Add(1,
            new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, ServiceName),
            new KeyValuePair<string, object?>(LoadstoneMetrics.EndpointTag, state.Endpoint.BaseAddress),
            new KeyValuePair<string, object?>(LoadstoneMetrics.ReasonTag, reason.ToString()));
        return true;
    }

    private void Housekeeping()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            var now = TimeProvider.GetUtcNow();
            var changed = false;
            var passive = _options.HealthChecks.Passive;
            foreach (var state in _states.Values)
            {
                if (state.EjectedUntil is { } until && until <= now)
                {
                    state.EjectedUntil = null;
                    state.EjectionEndedAt = now;
                    state.ResetConsecutiveFailures();
                    Log.EjectionEnded(_logger, ServiceName, state.Endpoint.BaseAddress, "the ejection time passed");
                    changed = true;
                }

                changed |= state.SlowStartSince is not null;
            }

            if (now >= _nextOutlierEvaluation)
            {
                _nextOutlierEvaluation = now + passive.Interval;
                foreach (var state in _states.Values)
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
                        changed |= TryEject(state, EndpointHealthReason.EjectedFailureRate, now);
                    }
                }
            }

            for (var i = _draining.Count - 1; i >= 0; i--)
            {
                var state = _draining[i];
                if (state.ActiveRequests == 0 || now >= state.DrainDeadline)
                {
                    _draining.RemoveAt(i);
                    _states.Remove(state.Endpoint.Id);
                    state.Health = EndpointHealth.Unused;
                    state.HealthReason = EndpointHealthReason.NotRegistered;
                    Log.Drained(_logger, ServiceName, state.Endpoint.BaseAddress, state.ActiveRequests);
                    changed = true;
                }
            }

            if (changed)
            {
                Publish("housekeeping");
            }
        }
    }

    // ---- Snapshot. ----

    // Called under _gate.
    private void Publish(string cause)
    {
        var before = _snapshot;
        var after = BuildSnapshot(TimeProvider.GetUtcNow());
        _snapshot = after;
        _prober?.Sync(after.All);
        // An episode is an endpoint set that was healthy and stopped being so. A pool that starts with every endpoint
        // awaiting its first probe routes to all of them too, but that is start-up, not an episode: no log, no count.
        if (after.FailOpen && !_failOpenEpisode && after.All.Any(s => s.HealthReason != EndpointHealthReason.InitialHealthChecking))
        {
            _failOpenEpisode = true;
            Log.FailOpenStarted(_logger, ServiceName, after.HealthyCount, after.MemberCount);
            LoadstoneMetrics.FailOpenEpisodes.Add(1, new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, ServiceName));
        }
        else if (!after.FailOpen && _failOpenEpisode)
        {
            _failOpenEpisode = false;
            Log.FailOpenEnded(_logger, ServiceName, after.HealthyCount, after.MemberCount);
        }

        if (!SameMembers(before.All, after.All))
        {
            LoadstoneMetrics.MembershipChanges.Add(1, new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, ServiceName));
            Log.MembershipChanged(_logger, ServiceName, after.MemberCount, after.All.Length - after.MemberCount, cause);
        }
    }

    // Called under _gate (or from the constructor).
    private PoolSnapshot BuildSnapshot(DateTimeOffset now)
    {
        var options = _options;
        var members = new List<EndpointState>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        // Endpoints registered while none is healthy (a pool starting up) become healthy together, as far as slow start goes.
        var anyHealthy = _states.Values.Any(s => s.IsRoutable);

        void Add(LoadBalancedEndpoint endpoint)
        {
            if (!seen.Add(endpoint.Id))
            {
                return;
            }

            if (_states.TryGetValue(endpoint.Id, out var state))
            {
                state.Endpoint = endpoint;
                if (state.DrainDeadline is not null)
                {
                    state.DrainDeadline = null;
                    _draining.Remove(state);
                }
            }
            else
            {
                state = new EndpointState(endpoint, TimeProvider, options.LatencyDecayTime, options.InitialLatency, this)
                {
                    ActiveHealth = options.HealthChecks.Active.Enabled ? EndpointHealth.Initial : EndpointHealth.Unchecked,
                    ActiveReason = options.HealthChecks.Active.Enabled ? EndpointHealthReason.InitialHealthChecking : EndpointHealthReason.HealthChecksDisabled,
                    SkipsFirstSlowStart = !anyHealthy,
                };
                _states.Add(endpoint.Id, state);
            }

            members.Add(state);
        }

        foreach (var endpoint in options.Endpoints)
        {
            Add(endpoint);
        }

        foreach (var list in _sourceEndpoints)
        {
            foreach (var endpoint in list ?? [])
            {
                Add(endpoint);
            }
        }

        // Endpoints that left their source drain while requests are in flight, then are dropped.
        if (_states.Count != seen.Count + _draining.Count)
        {
            foreach (var state in _states.Values.Where(s => !seen.Contains(s.Endpoint.Id) && s.DrainDeadline is null).ToList())
            {
                if (state.ActiveRequests > 0 && options.DeregistrationDelay > TimeSpan.Zero)
                {
                    state.DrainDeadline = now + options.DeregistrationDelay;
                    state.SlowStartSince = null;
                    state.WeightFactor = 1;
                    _draining.Add(state);
                }
                else
                {
                    _states.Remove(state.Endpoint.Id);
                    state.Health = EndpointHealth.Unused;
                    state.HealthReason = EndpointHealthReason.NotRegistered;
                }
            }
        }

        EvaluateHealth(members, now, options);
        foreach (var state in _draining)
        {
            state.Health = EndpointHealth.Draining;
            state.HealthReason = EndpointHealthReason.DeregistrationInProgress;
        }

        var healthy = members.Count(s => s.IsRoutable);
        var failOpen = options.HealthChecks.FailOpen;
        var breached = members.Count > 0
            && (healthy < failOpen.MinimumHealthyCount || healthy * 100 < failOpen.MinimumHealthyPercent * members.Count);
        var all = new EndpointState[members.Count + _draining.Count];
        members.CopyTo(all);
        _draining.CopyTo(all, members.Count);
        return new PoolSnapshot(all, members.Count, healthy, _strategy, failOpen: breached && failOpen.Enabled);
    }

    /// <summary>Sets each member's health from active checks and ejections, and moves slow start along.</summary>
    private static void EvaluateHealth(List<EndpointState> members, DateTimeOffset now, LoadBalancingOptions options)
    {
        var slowStart = options.SlowStart;
        var newlyRoutable = new List<EndpointState>();
        foreach (var state in members)
        {
            if (state.EjectedUntil is not null)
            {
                state.Health = EndpointHealth.Unhealthy;
                state.HealthReason = state.EjectionReason;
            }
            else
            {
                state.Health = state.ActiveHealth;
                state.HealthReason = state.ActiveReason;
            }

            if (!state.IsRoutable)
            {
                state.SlowStartSince = null;
                state.WeightFactor = 1;
                state.WasRoutable = false;
                state.SkipsFirstSlowStart &= state.Health != EndpointHealth.Unhealthy;
            }
            else if (!state.WasRoutable)
            {
                newlyRoutable.Add(state);
                state.WasRoutable = true;
            }
        }

        if (slowStart.Window > TimeSpan.Zero)
        {
            // ALB rule: enter slow start only if another healthy endpoint is not in slow start.
            var settled = members.Any(s => s.IsRoutable && s.SlowStartSince is null && !newlyRoutable.Contains(s));
            if (settled)
            {
                foreach (var state in newlyRoutable)
                {
                    state.SlowStartSince = state.SkipsFirstSlowStart ? null : now;
                }
            }

            foreach (var state in members)
            {
                if (state.SlowStartSince is not { } since)
                {
                    continue;
                }

                var progress = (now - since) / slowStart.Window;
                if (progress >= 1)
                {
                    state.SlowStartSince = null;
                    state.WeightFactor = 1;
                }
                else
                {
                    state.WeightFactor = Math.Max(slowStart.MinimumWeightPercent / 100d,
                        Math.Pow(Math.Max(progress, 0), 1 / slowStart.Aggression));
                }
            }
        }

        foreach (var state in newlyRoutable)
        {
            state.SkipsFirstSlowStart = false;
        }
    }

    /// <summary>Wraps the chosen strategy: zone preference around it, then sticky keys outermost (a binding wins over zones).</summary>
    private ILoadBalancingStrategy Compose(ILoadBalancingStrategy inner, LoadBalancingOptions options)
    {
        var strategy = inner;
        if (options.Zones.Mode != ZoneRoutingMode.CrossZone)
        {
            strategy = new ZonePreferenceStrategy(strategy, options.Zones, Random, ServiceName);
        }

        if (StickyRouter is { } router)
        {
            strategy = new StickySessionStrategy(strategy, router);
        }

        return strategy;
    }

    private static bool SameStickiness(StickySessionOptions a, StickySessionOptions b) =>
        a.KeySource == b.KeySource && string.Equals(a.KeyName, b.KeyName, StringComparison.Ordinal)
        && a.KeySelector == b.KeySelector && a.Duration == b.Duration && a.FailurePolicy == b.FailurePolicy
        && a.MaxBindings == b.MaxBindings && a.BoundedLoadFactor.Equals(b.BoundedLoadFactor);

    private static bool SameMembers(EndpointState[] a, EndpointState[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static int PickUntried(PoolSnapshot snapshot, CandidateSet candidates, HttpRequestMessage? request, in TriedEndpoints tried, int first)
    {
        // Ask the strategy again a few times, then take the first untried candidate after its choice.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var index = snapshot.Strategy.Pick(candidates, request);
            if ((uint)index < (uint)candidates.Count && !tried.Contains(candidates[index]))
            {
                return index;
            }
        }

        for (var k = 1; k < candidates.Count; k++)
        {
            var index = (first + k) % candidates.Count;
            if (!tried.Contains(candidates[index]))
            {
                return index;
            }
        }

        return first;
    }

    private static void ThrowIfInvalid(string serviceName, LoadBalancingOptions options, StrategyCatalog strategies)
    {
        var problems = new LoadBalancingOptionsValidator(strategies).Problems(serviceName, options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(serviceName, typeof(LoadBalancingOptions), problems);
        }
    }

    [StackTraceHidden]
    private void ThrowNoEndpoint(PoolSnapshot snapshot, EndpointFilter? filter)
    {
        var reason = snapshot.ExplainEmpty(filter);
        var detail = reason == NoAvailableEndpointReason.NoEndpoints && !IsReady
            ? "Its endpoint sources have not answered yet."
            : null;
        throw new NoAvailableEndpointException(ServiceName, reason, detail);
    }

    [StackTraceHidden]
    private void ThrowBadPick(ILoadBalancingStrategy strategy, int index, int count) =>
        throw new InvalidOperationException(
            $"Strategy '{strategy.Name}' of service '{ServiceName}' picked index {index} out of {count} candidates.");

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Service '{Service}' now has {Count} endpoints and {Draining} draining ({Cause}).", EventName = "MembershipChanged")]
        public static partial void MembershipChanged(ILogger logger, string service, int count, int draining, string cause);

        [LoggerMessage(2, LogLevel.Warning, "Service '{Service}' rejected an update from endpoint source '{Source}' and keeps its last good endpoints: {Problems}", EventName = "SourceUpdateRejected")]
        public static partial void SourceUpdateRejected(ILogger logger, string service, string source, string problems);

        [LoggerMessage(3, LogLevel.Warning, "Endpoint source '{Source}' of service '{Service}' failed; the last good endpoints are kept.", EventName = "SourceFailed")]
        public static partial void SourceFailed(ILogger logger, string service, string source, Exception exception);

        [LoggerMessage(4, LogLevel.Error, "Service '{Service}' rejected reloaded options and keeps the current ones: {Problems}", EventName = "OptionsRejected")]
        public static partial void OptionsRejected(ILogger logger, string service, string problems);

        [LoggerMessage(20, LogLevel.Warning, "Service '{Service}' ejected endpoint {Endpoint} ({Reason}) for {Duration}.", EventName = "EndpointEjected")]
        public static partial void Ejected(ILogger logger, string service, string endpoint, EndpointHealthReason reason, TimeSpan duration);

        [LoggerMessage(21, LogLevel.Information, "Service '{Service}' returned endpoint {Endpoint} to service: {Why}.", EventName = "EjectionEnded")]
        public static partial void EjectionEnded(ILogger logger, string service, string endpoint, string why);

        [LoggerMessage(22, LogLevel.Warning, "Service '{Service}' did not eject endpoint {Endpoint} ({Reason}): {Ejected} of at most {Limit} endpoints are already ejected.", EventName = "EjectionSkipped")]
        public static partial void EjectionSkipped(ILogger logger, string service, string endpoint, EndpointHealthReason reason, int ejected, int limit);

        [LoggerMessage(23, LogLevel.Warning, "Service '{Service}' is failing open: only {Healthy} of {Total} endpoints are healthy, so requests go to all of them.", EventName = "FailOpenStarted")]
        public static partial void FailOpenStarted(ILogger logger, string service, int healthy, int total);

        [LoggerMessage(24, LogLevel.Information, "Service '{Service}' stopped failing open: {Healthy} of {Total} endpoints are healthy.", EventName = "FailOpenEnded")]
        public static partial void FailOpenEnded(ILogger logger, string service, int healthy, int total);

        [LoggerMessage(25, LogLevel.Information, "Service '{Service}' dropped drained endpoint {Endpoint} ({InFlight} requests still in flight).", EventName = "EndpointDrained")]
        public static partial void Drained(ILogger logger, string service, string endpoint, int inFlight);
    }
}
