using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// Watches a pool's endpoint sources: asks each for its endpoints at start and whenever its change token fires, keeps
/// each source's last good set (a bad or failing update is logged and ignored), and says when every source has
/// answered once (readiness; a failing first answer counts, so a broken source cannot hang callers).
/// </summary>
internal sealed partial class SourceWatcher : IDisposable
{
    private readonly string _serviceName;
    private readonly IReadOnlyList<IEndpointSource> _sources;
    private readonly Lock _gate;
    private readonly Action<string> _changed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopped = new();
    private readonly IReadOnlyList<LoadBalancedEndpoint>?[] _lastGood;
    private readonly bool[] _answered;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    /// <param name="serviceName">The service, for logs.</param>
    /// <param name="sources">The sources, watched for the watcher's lifetime.</param>
    /// <param name="gate">The pool's lock, taken to store a new set and to call <paramref name="changed"/>.</param>
    /// <param name="changed">Called under <paramref name="gate"/> with a cause when a source's set changed.</param>
    /// <param name="logger">Where rejected updates and failures go.</param>
    public SourceWatcher(string serviceName, IReadOnlyList<IEndpointSource> sources, Lock gate, Action<string> changed, ILogger logger)
    {
        _serviceName = serviceName;
        _sources = sources;
        _gate = gate;
        _changed = changed;
        _logger = logger;
        _lastGood = new IReadOnlyList<LoadBalancedEndpoint>?[sources.Count];
        _answered = new bool[sources.Count];
        _pending = sources.Count;
        if (sources.Count == 0)
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>Completes when every source has answered once (or the watcher is disposed).</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompleted;

    /// <summary>The last good endpoints of every source, in source order. Read under the pool's lock.</summary>
    public IEnumerable<LoadBalancedEndpoint> Endpoints
    {
        get
        {
            foreach (var set in _lastGood)
            {
                foreach (var endpoint in set ?? [])
                {
                    yield return endpoint;
                }
            }
        }
    }

    /// <summary>Subscribes to every source's changes and asks each for its first set.</summary>
    public void Start()
    {
        for (var i = 0; i < _sources.Count; i++)
        {
            var index = i;
            var source = _sources[i];
            lock (_gate)
            {
                if (_stopped.IsCancellationRequested)
                {
                    return;
                }

                _subscriptions.Add(ChangeToken.OnChange(
                    () => source.GetChangeToken() ?? NeverChangeToken.Instance,
                    () => _ = RefreshAsync(index, source)));
            }

            _ = RefreshAsync(index, source);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped.IsCancellationRequested)
            {
                return;
            }

            _stopped.Cancel();
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _subscriptions.Clear();
        }

        _ready.TrySetResult();
    }

    private async Task RefreshAsync(int index, IEndpointSource source)
    {
        try
        {
            var endpoints = await source.GetEndpointsAsync(_stopped.Token).ConfigureAwait(false);
            var problems = EndpointValidation.ValidateUpdate(_serviceName, source.Name, endpoints, source.AllowsEmpty);
            lock (_gate)
            {
                if (problems.Count > 0)
                {
                    Log.SourceUpdateRejected(_logger, _serviceName, source.Name, string.Join(" ", problems));
                }
                else if (!_stopped.IsCancellationRequested)
                {
                    _lastGood[index] = endpoints!;
                    _changed($"source '{source.Name}' updated");
                }
            }
        }
        catch (OperationCanceledException) when (_stopped.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.SourceFailed(_logger, _serviceName, source.Name, ex);
        }
        finally
        {
            lock (_gate)
            {
                if (!_answered[index])
                {
                    _answered[index] = true;
                    if (--_pending == 0)
                    {
                        _ready.TrySetResult();
                    }
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Warning, "Service '{Service}' rejected an update from endpoint source '{Source}' and keeps its last good endpoints: {Problems}", EventName = "SourceUpdateRejected")]
        public static partial void SourceUpdateRejected(ILogger logger, string service, string source, string problems);

        [LoggerMessage(3, LogLevel.Warning, "Endpoint source '{Source}' of service '{Service}' failed; the last good endpoints are kept.", EventName = "SourceFailed")]
        public static partial void SourceFailed(ILogger logger, string service, string source, Exception exception);
    }
}
