using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// The balancer of one logical service, like an ALB target group: its endpoints, their health and live state, and
/// the strategy that chooses among them. One pool per service, shared by every client and handler of that service.
/// </summary>
/// <remarks>
/// The request path (<see cref="Acquire"/>) reads an immutable snapshot and takes no lock. The control plane
/// (endpoint sources, health probes, outlier detection, slow start, draining) changes state under a lock, builds a
/// new snapshot and publishes it with one reference swap; a request that crosses an outlier threshold hands the
/// ejection to the control plane and returns at once. Create pools through dependency injection
/// (<c>AddLoadBalancedHttpClient</c>), or directly with this constructor where there is no container.
/// </remarks>
public sealed partial class ServicePool : IDisposable
{
    /// <summary>How often the control plane looks at time-driven state: ejections, slow start, draining.</summary>
    internal static readonly TimeSpan HousekeepingPeriod = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly StrategyCatalog _strategies;
    private readonly ServicePoolDependencies _dependencies;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Membership _membership = new();
    private readonly SourceWatcher _sources;
    private readonly OutlierDetector _outliers;
    private readonly FailOpen _failOpen;
    private readonly ControlPlaneQueue _controlPlane;
    private readonly ConcurrentDictionary<EndpointFilter, byte> _knownFilters = new(ReferenceEqualityComparer.Instance);

    private LoadBalancingOptions _options;
    private PickStages _stages;
    private int _started;
    private ITimer? _housekeeping;
    private ActiveHealthProber? _prober;
    private volatile PoolSnapshot _snapshot;
    private SubsetSelector? _subsets;
    private IDisposable? _peerSubscription;

    /// <summary>Creates a pool without a container. Sources and health checks start on first use or on <see cref="InitializeAsync"/>.</summary>
    /// <param name="serviceName">The logical service name, e.g. <c>catalog</c>.</param>
    /// <param name="options">The settings; validated here. The pool keeps a reference, so do not change them afterwards.</param>
    /// <param name="dependencies">The clock, random source, logs, metrics, endpoint sources and code-built strategy; <see langword="null"/> for the defaults.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message lists every problem.</exception>
    public ServicePool(string serviceName, LoadBalancingOptions options, ServicePoolDependencies? dependencies = null)
        : this(serviceName, options, dependencies ?? new(), StrategyCatalog.BuiltInOnly)
    {
    }

    internal ServicePool(string serviceName, LoadBalancingOptions options, ServicePoolDependencies dependencies, StrategyCatalog strategies)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dependencies);
        ServiceName = serviceName;
        _strategies = strategies;
        _dependencies = dependencies;
        LoggerFactory = dependencies.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger("Loadstone.ServicePool");
        ThrowIfInvalid(serviceName, options, strategies, dependencies);

        TimeProvider = dependencies.TimeProvider;
        Telemetry = new PoolTelemetry(serviceName, LoadstoneInstruments.For(dependencies.MeterFactory));
        Random = dependencies.Random ?? Random.Shared;
        _options = options;
        _controlPlane = new ControlPlaneQueue(ex => Log.ControlPlaneFailed(_logger, ServiceName, ex));
        _outliers = new OutlierDetector(Telemetry, _logger, () => Options.HealthChecks.Passive,
            () => _controlPlane.Post(static s => ((ServicePool)s!).EjectPending(), this));
        _failOpen = new FailOpen(Telemetry, _logger);
        _sources = new SourceWatcher(serviceName, [.. dependencies.EndpointSources], _gate, Publish, _logger);
        _stages = CreateStages(options, sticky: null);
        Retry = options.Retries.Enabled ? new RetryPolicy(options.Retries, TimeProvider) : null;
        lock (_gate)
        {
            _subsets = CreateSubsets(options);
            _snapshot = Rebuild();
        }

        Telemetry.Instruments.Register(this);
        if (options.HealthChecks.Active is { Enabled: true, StartEagerly: true })
        {
            Start();
        }
    }

    /// <summary>The logical service name.</summary>
    public string ServiceName { get; }

    /// <summary>The name of the strategy in use.</summary>
    public string StrategyName => _snapshot.StrategyName;

    /// <summary>The pool's clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Every endpoint of the pool with its live state: members in source order, then draining ones.</summary>
    public IReadOnlyList<EndpointState> Endpoints => _snapshot.All;

    /// <summary><see langword="true"/> while too few endpoints are healthy and the pool routes to all of them.</summary>
    public bool IsFailingOpen => _snapshot.FailOpen;

    internal Random Random { get; }

    /// <summary>The pool's measurements on its meter.</summary>
    internal PoolTelemetry Telemetry { get; }

    internal ILoggerFactory LoggerFactory { get; }

    internal LoadBalancingOptions Options => Volatile.Read(ref _options);

    /// <summary>Builds the handler of health probes; null for the default.</summary>
    internal Func<HttpMessageHandler>? ProbeHandlerFactory => _dependencies.ProbeHandlerFactory;

    /// <summary>What health probes send and how they judge the answer; null for the HTTP status check.</summary>
    internal IActiveHealthCheck? ActiveHealthCheck => _dependencies.ActiveHealthCheck;

    internal PoolSnapshot Snapshot => _snapshot;

    internal bool IsReady => _sources.IsReady;

    /// <summary>The sticky-key router (key extraction and bindings), or null when sticky sessions are off.</summary>
    internal StickySessionRouter? StickyRouter => _stages.Sticky;

    /// <summary>The retry policy, or null when retries are off. Replaced when options are reloaded.</summary>
    internal RetryPolicy? Retry { get; private set; }

    /// <summary>The control plane's queue of work handed over by requests (for tests that wait for it to drain).</summary>
    internal ControlPlaneQueue ControlPlane => _controlPlane;

    /// <summary>
    /// Starts watching the endpoint sources and probing endpoints (if not yet started) and waits until each source
    /// has delivered its first result. Pools without sources are ready at once.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait, not the sources.</param>
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Start();
        return _sources.Ready.WaitAsync(cancellationToken);
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

        return new ServicePoolStatus(ServiceName, snapshot.StrategyName, snapshot.FailOpen, endpoints);
    }

    /// <summary>
    /// Chooses an endpoint for one request and counts the request as in flight on it until the returned lease is
    /// completed. The protocol-agnostic core of the balancer: use it for clients other than HttpClient.
    /// </summary>
    /// <param name="request">The request, passed to the strategy; <see langword="null"/> when there is none.</param>
    /// <returns>A lease; call <see cref="EndpointLease.Complete"/> exactly once when the request ends.</returns>
    /// <exception cref="NoAvailableEndpointException">No endpoint can take the request; the reason says why.</exception>
    public EndpointLease Acquire(HttpRequestMessage? request = null)
    {
        var context = new PickContext(request);
        return AcquireAttempt(null, ref context, default);
    }

    /// <summary>Acquires from the candidates <paramref name="filter"/> allows, avoiding those already tried where another exists.</summary>
    internal EndpointLease AcquireAttempt(EndpointFilter? filter, ref PickContext context, in TriedEndpoints tried)
    {
        if (_started == 0)
        {
            // The first request starts the control plane without waiting for it.
            _controlPlane.Post(static s => ((ServicePool)s!).Start(), this);
        }

        if (filter is not null && !_knownFilters.ContainsKey(filter))
        {
            _knownFilters.TryAdd(filter, 0);
        }

        var snapshot = _snapshot;
        var pipeline = snapshot.GetPipeline(filter);
        if (pipeline.Candidates.Count == 0)
        {
            ThrowNoEndpoint(snapshot, filter);
        }

        var index = tried.Count == 0 ? pipeline.Pick(ref context) : pipeline.PickUntried(ref context, tried);
        var state = pipeline.Candidates[index];
        if (state.EjectionPending)
        {
            // Being ejected on the control plane right now: treat it as tried, so it is avoided where possible.
            var avoid = tried;
            avoid.Add(state);
            state = pipeline.Candidates[pipeline.PickUntried(ref context, avoid)];
        }

        return new EndpointLease(state, TimeProvider, Telemetry);
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
            _peerSubscription?.Dispose();
            _housekeeping?.Dispose();
            _prober?.Dispose();
        }

        _sources.Dispose();
        Telemetry.Instruments.Unregister(this);
    }

    /// <summary>Records a probe result; called by the prober.</summary>
    internal void OnProbeResult(EndpointState state, bool passed, EndpointHealthReason failure)
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested || !_membership.IsMember(state) || !_options.HealthChecks.Active.Enabled)
            {
                return;
            }

            ActiveCheckResults.Record(state, passed, failure, _options.HealthChecks.Active);
            if (passed)
            {
                _outliers.OnProbePassed(state, TimeProvider.GetUtcNow());
            }

            Publish(passed ? "health check passed" : "health check failed");
        }
    }

    private void Start()
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

            _outliers.Start(TimeProvider.GetUtcNow());
            _housekeeping = TimeProvider.CreateTimer(static s => ((ServicePool)s!).Housekeeping(), this,
                HousekeepingPeriod, HousekeepingPeriod);
            if (_options.HealthChecks.Active.Enabled)
            {
                _prober = new ActiveHealthProber(this, _options.HealthChecks.Active);
                _prober.Sync(_snapshot.All);
            }
        }

        _sources.Start();
    }

    private void EjectPending()
    {
        lock (_gate)
        {
            if (!_disposed.IsCancellationRequested)
            {
                _outliers.EjectPending(_membership, TimeProvider.GetUtcNow(), () => Publish("outlier ejected"));
            }
        }
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
            var changed = _outliers.Evaluate(_membership, now);
            changed |= _membership.States.Any(s => s.SlowStartSince is not null);
            foreach (var (state, inFlight) in _membership.ProgressDraining(now))
            {
                Log.Drained(_logger, ServiceName, state.Endpoint.BaseAddress, inFlight);
                changed = true;
            }

            if (changed)
            {
                Publish("housekeeping");
            }
        }
    }

    // Called under _gate.
    private void Publish(string cause)
    {
        var before = _snapshot;
        var after = Rebuild();
        _snapshot = after;
        _prober?.Sync(after.All);
        _failOpen.Observe(after);
        if (!SameMembers(before.All, after.All))
        {
            Telemetry.RecordMembershipChange();
            Log.MembershipChanged(_logger, ServiceName, after.MemberCount, after.All.Length - after.MemberCount, cause);
        }
    }

    // Called under _gate (or from the constructor).
    private PoolSnapshot Rebuild()
    {
        var options = _options;
        var now = TimeProvider.GetUtcNow();
        var members = _membership.Update(options.Endpoints.Concat(_sources.Endpoints), now, options.DeregistrationDelay, CreateState);
        return SnapshotBuilder.Build(members, _membership.Draining, now, options, _stages, _knownFilters.Keys, _subsets);
    }

    private EndpointState CreateState(LoadBalancedEndpoint endpoint, bool anyRoutable)
    {
        var options = _options;
        var state = new EndpointState(endpoint, TimeProvider, options.LatencyDecayTime, options.InitialLatency, _outliers)
        {
            // Endpoints registered while none is routable (a pool starting up) become healthy together: no slow start.
            SkipsFirstSlowStart = !anyRoutable,
        };
        ActiveCheckResults.Initialize(state, options.HealthChecks.Active.Enabled);
        return state;
    }

    private PickStages CreateStages(LoadBalancingOptions options, StickySessionRouter? sticky, ILoadBalancingStrategy? strategy = null)
    {
        strategy ??= _strategies.Create(options, new StrategyContext(ServiceName, Random, TimeProvider), _dependencies.StrategyFactory);
        sticky ??= options.StickySessions.IsEnabled ? new StickySessionRouter(Telemetry, options.StickySessions, TimeProvider) : null;
        return new PickStages(Telemetry, strategy, sticky, options.Zones, Random);
    }

    private static bool SameMembers(EndpointState[] a, EndpointState[] b) =>
        a.AsSpan().SequenceEqual(b, ReferenceEqualityComparer.Instance);

    private static ServiceFacts Sources(ServicePoolDependencies dependencies) =>
        new(dependencies.EndpointSources.Count > 0, dependencies.StrategyFactory is not null, dependencies.PeerCoordinates is not null);

    private static void ThrowIfInvalid(string serviceName, LoadBalancingOptions options, StrategyCatalog strategies, ServicePoolDependencies dependencies)
    {
        var problems = new LoadBalancingOptionsValidator(strategies).Problems(serviceName, options, Sources(dependencies));
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

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Service '{Service}' now has {Count} endpoints and {Draining} draining ({Cause}).", EventName = "MembershipChanged")]
        public static partial void MembershipChanged(ILogger logger, string service, int count, int draining, string cause);

        [LoggerMessage(4, LogLevel.Error, "Service '{Service}' rejected reloaded options and keeps the current ones: {Problems}", EventName = "OptionsRejected")]
        public static partial void OptionsRejected(ILogger logger, string service, string problems);

        [LoggerMessage(5, LogLevel.Error, "Service '{Service}' failed a control-plane task; the pool keeps its last snapshot.", EventName = "ControlPlaneFailed")]
        public static partial void ControlPlaneFailed(ILogger logger, string service, Exception exception);

        [LoggerMessage(25, LogLevel.Information, "Service '{Service}' dropped drained endpoint {Endpoint} ({InFlight} requests still in flight).", EventName = "EndpointDrained")]
        public static partial void Drained(ILogger logger, string service, string endpoint, int inFlight);
    }
}
