using System.Net.Http.Headers;

namespace Loadstone;

/// <summary>
/// Probes each member endpoint of a pool on its own timer, with the pool's <see cref="IActiveHealthCheck"/> (by default
/// an HTTP GET whose status code is matched). A probe's timer is re-armed only when the probe has
/// finished, so probes of one endpoint never overlap. Results go to <see cref="ServicePool.OnProbeResult"/>.
/// </summary>
internal sealed class ActiveHealthProber : IDisposable
{
    private readonly ServicePool _pool;
    private readonly HttpMessageInvoker _invoker;
    private readonly Lock _gate = new();
    private readonly Dictionary<EndpointState, Probe> _probes = new(ReferenceEqualityComparer.Instance);
    private readonly IActiveHealthCheck _check;
    private ActiveHealthCheckOptions _options;
    private bool _disposed;

    public ActiveHealthProber(ServicePool pool, ActiveHealthCheckOptions options)
    {
        _pool = pool;
        _options = options;
        _check = pool.ActiveHealthCheck ?? HttpStatusHealthCheck.Instance;
        var handler = pool.ProbeHandlerFactory?.Invoke() ?? new SocketsHttpHandler
        {
            // A probe judges the endpoint itself: a redirect is an answer to match, never a hop to another host.
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public void UpdateOptions(ActiveHealthCheckOptions options)
    {
        lock (_gate)
        {
            _options = options;
        }
    }

    /// <summary>Starts probes for new members and stops those of endpoints that left or are draining.</summary>
    public void Sync(EndpointState[] all)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var keep = new HashSet<EndpointState>(ReferenceEqualityComparer.Instance);
            foreach (var state in all)
            {
                if (state.DrainDeadline is not null)
                {
                    continue;
                }

                keep.Add(state);
                if (!_probes.ContainsKey(state))
                {
                    var probe = new Probe(this, state);
                    _probes.Add(state, probe);
                    probe.Schedule(TimeSpan.Zero);
                }
            }

            foreach (var (state, probe) in _probes.Where(p => !keep.Contains(p.Key)).ToList())
            {
                probe.Stop();
                _probes.Remove(state);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var probe in _probes.Values)
            {
                probe.Stop();
            }

            _probes.Clear();
        }

        _invoker.Dispose();
    }

    private TimeSpan NextDelay()
    {
        var options = _options;
        // Random.Shared, not the pool's Random: probes finish on any thread, and a seeded Random is not thread-safe.
        var jitter = options.Jitter <= 0 ? 0 : ((Random.Shared.NextDouble() * 2) - 1) * options.Jitter;
        return options.Interval * (1 + jitter);
    }

    private Uri ProbeAddress(LoadBalancedEndpoint endpoint, ActiveHealthCheckOptions options)
    {
        if (options.Port is not { } port)
        {
            return endpoint.Address;
        }

        return new UriBuilder(endpoint.Address) { Port = port }.Uri;
    }

    private async Task RunAsync(Probe probe)
    {
        var state = probe.State;
        var options = _options;
        var (passed, reason) = (false, EndpointHealthReason.ConnectionFailure);
        using (var timeout = new CancellationTokenSource(options.Timeout, _pool.TimeProvider))
        {
            try
            {
                using var request = _check.CreateRequest(ProbeAddress(state.Endpoint, options), options);
                request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Loadstone-HealthCheck", "1.0"));
                request.Headers.ConnectionClose = false;
                if (_pool.Options.UseServiceNameAsHost)
                {
                    request.Headers.Host = _pool.ServiceName;
                }

                using var response = await _invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
                reason = await _check.CheckAsync(response, options, timeout.Token).ConfigureAwait(false);
                passed = reason == EndpointHealthReason.None;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                reason = EndpointHealthReason.Timeout;
            }
            catch (Exception)
            {
                // Refused, reset, TLS, a malformed answer, or anything else: a probe must never die, or the endpoint
                // would stop being checked.
                reason = EndpointHealthReason.ConnectionFailure;
            }
        }

        // Arm the next probe before publishing the result, so whoever sees a result can rely on the next probe being due.
        lock (_gate)
        {
            if (!_disposed && _probes.TryGetValue(state, out var current) && current == probe)
            {
                probe.Schedule(NextDelay());
            }
        }

        _pool.OnProbeResult(state, passed, reason);
    }

    private sealed class Probe
    {
        private readonly ActiveHealthProber _owner;
        private readonly ITimer _timer;

        public Probe(ActiveHealthProber owner, EndpointState state)
        {
            _owner = owner;
            State = state;
            _timer = owner._pool.TimeProvider.CreateTimer(
                static s => { var p = (Probe)s!; _ = p._owner.RunAsync(p); },
                this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public EndpointState State { get; }

        public void Schedule(TimeSpan due) => _timer.Change(due, Timeout.InfiniteTimeSpan);

        public void Stop() => _timer.Dispose();
    }
}
