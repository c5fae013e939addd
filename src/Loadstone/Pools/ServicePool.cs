using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// The balancer of one logical service, like an ALB target group: its endpoints, their live state, and the
/// strategy that chooses among them. One pool per service, shared by every client and handler of that service.
/// </summary>
/// <remarks>
/// The request path (<see cref="Acquire"/>) reads an immutable snapshot and takes no lock; membership and option
/// changes build a new snapshot and publish it with one reference swap. Create pools through dependency
/// injection (<c>AddLoadBalancedHttpClient</c>), or directly with this constructor where there is no container.
/// </remarks>
public sealed partial class ServicePool : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly StrategyCatalog _strategies;
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, EndpointState> _states = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];

    private LoadBalancingOptions _options;
    private ILoadBalancingStrategy _strategy;
    private IReadOnlyList<Endpoint>?[] _sourceEndpoints;
    private bool[] _sourceAnswered;
    private int _sourcesPending;
    private int _started;
    private volatile PoolSnapshot _snapshot;

    /// <summary>Creates a pool without a container. Sources start on first use or on <see cref="InitializeAsync"/>.</summary>
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
        _logger = (ILogger?)loggerFactory?.CreateLogger("Loadstone.ServicePool") ?? NullLogger.Instance;
        ThrowIfInvalid(serviceName, options, strategies);

        TimeProvider = options.TimeProvider ?? containerTimeProvider ?? TimeProvider.System;
        Random = options.Random ?? Random.Shared;
        _options = options;
        _strategy = strategies.Create(options, new StrategyContext(serviceName, Random, TimeProvider));
        _sourceEndpoints = new IReadOnlyList<Endpoint>?[options.EndpointSources.Count];
        _sourceAnswered = new bool[options.EndpointSources.Count];
        _snapshot = BuildSnapshot();
        if (options.EndpointSources.Count == 0)
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>The logical service name.</summary>
    public string ServiceName { get; }

    /// <summary>The name of the strategy in use.</summary>
    public string StrategyName => _snapshot.Strategy.Name;

    /// <summary>The pool's clock.</summary>
    public TimeProvider TimeProvider { get; }

    internal Random Random { get; }

    internal LoadBalancingOptions Options => Volatile.Read(ref _options);

    internal PoolSnapshot Snapshot => _snapshot;

    /// <summary>Every endpoint of the pool with its live state, in source order.</summary>
    public IReadOnlyList<EndpointState> Endpoints => _snapshot.All;

    /// <summary>
    /// Starts watching the endpoint sources (if not yet started) and waits until each has delivered its first
    /// result. Pools without sources are ready at once.
    /// </summary>
    /// <param name="cancellationToken">Stops the wait, not the sources.</param>
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        return _ready.Task.WaitAsync(cancellationToken);
    }

    internal bool IsReady => _ready.Task.IsCompleted;

    /// <summary>
    /// Chooses an endpoint for one request and counts the request as in flight on it until the returned lease is
    /// completed. The protocol-agnostic core of the balancer: use it for clients other than HttpClient.
    /// </summary>
    /// <param name="request">The request, passed to the strategy; <see langword="null"/> when there is none.</param>
    /// <returns>A lease; call <see cref="EndpointLease.Complete"/> exactly once when the request ends.</returns>
    /// <exception cref="NoAvailableEndpointException">No endpoint can take the request; the reason says why.</exception>
    public EndpointLease Acquire(HttpRequestMessage? request = null) => AcquireFiltered(null, request);

    internal EndpointLease AcquireFiltered(EndpointFilter? filter, HttpRequestMessage? request)
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

        return new EndpointLease(candidates[index], TimeProvider);
    }

    /// <summary>Stops watching the endpoint sources.</summary>
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
        }

        _ready.TrySetResult();
    }

    /// <summary>
    /// Applies reloaded options: new endpoints and strategy. Invalid options are rejected and the current ones kept.
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
            if (!string.Equals(options.Strategy, _options.Strategy, StringComparison.OrdinalIgnoreCase)
                || options.StrategyFactory != _options.StrategyFactory)
            {
                _strategy = _strategies.Create(options, new StrategyContext(ServiceName, Random, TimeProvider));
            }

            // Sources are watched for the pool's lifetime; a reload changes code and configuration endpoints only.
            var sources = _options.EndpointSources;
            options.EndpointSources.Clear();
            foreach (var source in sources)
            {
                options.EndpointSources.Add(source);
            }

            Volatile.Write(ref _options, options);
            Publish("options reloaded");
        }

        return true;
    }

    private void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
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
                : EndpointValidation.ValidateSet(ServiceName, endpoints);
            lock (_gate)
            {
                if (problems.Count > 0)
                {
                    Log.SourceUpdateRejected(_logger, ServiceName, source.Name, string.Join(" ", problems));
                }
                else
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

    // Called under _gate.
    private void Publish(string cause)
    {
        var before = _snapshot;
        var after = BuildSnapshot();
        _snapshot = after;
        if (_logger.IsEnabled(LogLevel.Information) && !SameMembers(before.All, after.All))
        {
            Log.MembershipChanged(_logger, ServiceName, after.All.Length, cause);
        }
    }

    private PoolSnapshot BuildSnapshot()
    {
        var merged = new List<EndpointState>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var decay = _options.LatencyDecayTime;
        var initial = _options.InitialLatency;

        void Add(Endpoint endpoint)
        {
            if (!seen.Add(endpoint.Id))
            {
                return;
            }

            if (_states.TryGetValue(endpoint.Id, out var state))
            {
                state.Endpoint = endpoint;
            }
            else
            {
                state = new EndpointState(endpoint, TimeProvider, decay, initial);
                _states.Add(endpoint.Id, state);
            }

            merged.Add(state);
        }

        foreach (var endpoint in _options.Endpoints)
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

        // Forget endpoints that left, so a returning endpoint starts fresh.
        if (_states.Count != seen.Count)
        {
            foreach (var id in _states.Keys.Where(id => !seen.Contains(id)).ToList())
            {
                _states.Remove(id);
            }
        }

        return new PoolSnapshot([.. merged], _strategy);
    }

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
        [LoggerMessage(1, LogLevel.Information, "Service '{Service}' now has {Count} endpoints ({Cause}).", EventName = "MembershipChanged")]
        public static partial void MembershipChanged(ILogger logger, string service, int count, string cause);

        [LoggerMessage(2, LogLevel.Warning, "Service '{Service}' rejected an update from endpoint source '{Source}' and keeps its last good endpoints: {Problems}", EventName = "SourceUpdateRejected")]
        public static partial void SourceUpdateRejected(ILogger logger, string service, string source, string problems);

        [LoggerMessage(3, LogLevel.Warning, "Endpoint source '{Source}' of service '{Service}' failed; the last good endpoints are kept.", EventName = "SourceFailed")]
        public static partial void SourceFailed(ILogger logger, string service, string source, Exception exception);

        [LoggerMessage(4, LogLevel.Error, "Service '{Service}' rejected reloaded options and keeps the current ones: {Problems}", EventName = "OptionsRejected")]
        public static partial void OptionsRejected(ILogger logger, string service, string problems);
    }
}
