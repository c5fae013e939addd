using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// The HttpClient side of the balancer. A request to a logical service (<c>http://catalog/items</c>) is sent to an
/// endpoint its pool chooses (<c>http://10.0.1.5:8080/items</c>); any other request passes through untouched.
/// </summary>
/// <remarks>
/// Scheme, host and port come from the chosen endpoint; the path and query are kept, behind the endpoint's path
/// prefix if it has one. The request's URI is restored when the call returns. Understands the
/// Microsoft.Extensions.ServiceDiscovery URI conventions <c>https+http://catalog</c> (prefer https endpoints, else
/// http) and <c>https://_dashboard.catalog</c> (the endpoints named <c>dashboard</c>). The handler keeps no
/// balancing state of its own: that lives in the <see cref="ServicePool"/>, so handler rotation loses nothing.
/// </remarks>
public sealed class LoadBalancingHandler : DelegatingHandler
{
    private const int MaxCachedPassThroughRoutes = 1024;
    private static readonly Route s_passThrough = new(null, null, null);

    private readonly ServicePoolRegistry _registry;
    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Route>.AlternateLookup<ReadOnlySpan<char>> _routeLookup;
    private int _passThroughCount;
    private int _routesVersion;

    /// <summary>Creates a handler that routes requests for every service of <paramref name="registry"/>.</summary>
    /// <param name="registry">The pools.</param>
    public LoadBalancingHandler(ServicePoolRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _routeLookup = _routes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Creates a handler that routes requests for the service of <paramref name="pool"/>, for use without a container.</summary>
    /// <param name="pool">The pool. The handler does not dispose it.</param>
    /// <param name="innerHandler">The handler that sends the rewritten requests, e.g. a <see cref="SocketsHttpHandler"/>.</param>
    public LoadBalancingHandler(ServicePool pool, HttpMessageHandler innerHandler)
        : this(new ServicePoolRegistry(pool))
    {
        ArgumentNullException.ThrowIfNull(innerHandler);
        InnerHandler = innerHandler;
    }

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var route = Resolve(request.RequestUri, out var pathStart);
        return route.Pool is null
            ? base.SendAsync(request, cancellationToken)
            : SendBalancedAsync(route, request, pathStart, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The synchronous path makes a single attempt: retries on another endpoint need <see cref="SendAsync"/>.</remarks>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var route = Resolve(request.RequestUri, out var pathStart);
        if (route.Pool is not { } pool)
        {
            return base.Send(request, cancellationToken);
        }

        if (!pool.IsReady)
        {
            pool.InitializeAsync(cancellationToken).GetAwaiter().GetResult();
        }

        // Routing rules apply to the synchronous path too.
        var target = pool.Routing is null ? pool : SelectTarget(pool, request);
        if (!target.IsReady)
        {
            target.InitializeAsync(cancellationToken).GetAwaiter().GetResult();
        }

        var original = request.RequestUri!;
        var lease = target.AcquireFiltered(route.Filter, request);
        var hostSet = Rewrite(route, request, lease.Endpoint, original, pathStart);
        var outcome = RequestOutcome.ConnectionFailure;
        try
        {
            var response = base.Send(request, cancellationToken);
            outcome = OutcomeClassifier.FromResponse(response);
            return response;
        }
        catch (Exception ex)
        {
            outcome = OutcomeClassifier.FromException(ex, cancellationToken);
            throw;
        }
        finally
        {
            lease.Complete(outcome);
            Restore(request, original, hostSet);
        }
    }

    private async Task<HttpResponseMessage> SendBalancedAsync(Route route, HttpRequestMessage request, int pathStart, CancellationToken cancellationToken)
    {
        var pool = route.Pool!;
        if (!pool.IsReady)
        {
            await pool.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        // Routing rules of the logical service may send the request to another pool (a canary, a version).
        var target = pool.Routing is null ? pool : SelectTarget(pool, request);
        if (!target.IsReady)
        {
            await target.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var response = await SendWithRetriesAsync(target, route, request, pathStart, cancellationToken).ConfigureAwait(false);
            RecordRequest(pool, OutcomeClassifier.FromResponse(response));
            return response;
        }
        catch (Exception ex)
        {
            RecordRequest(pool, OutcomeClassifier.FromException(ex, cancellationToken));
            throw;
        }
    }

    private async ValueTask<HttpResponseMessage> SendWithRetriesAsync(ServicePool pool, Route route, HttpRequestMessage request, int pathStart,
        CancellationToken cancellationToken)
    {
        var retry = pool.Retry;
        if (retry is null || !retry.CanRetry(request))
        {
            var only = pool.AcquireFiltered(route.Filter, request);
            return await SendAttemptAsync(pool, route, request, only, pathStart, 1, null, cancellationToken).ConfigureAwait(false);
        }

        retry.Budget.OnRequest();
        var tried = default(TriedEndpoints);
        var lease = pool.AcquireFiltered(route.Filter, request);
        tried.Add(lease.State);
        HttpResponseMessage? response = null;
        Exception? error = null;
        try
        {
            response = await SendAttemptAsync(pool, route, request, lease, pathStart, 1, retry.Options.AttemptTimeout, cancellationToken).ConfigureAwait(false);
            if (!retry.IsRetryable(response))
            {
                return response;
            }
        }
        catch (Exception ex) when (RetryExecutor.IsRetryable(ex, cancellationToken))
        {
            error = ex;
        }

        // The slow path: a first attempt failed in a way worth retrying elsewhere. Polly decides how many more.
        var state = new RetryState(this, pool, route, request, pathStart);
        state.SetFirstOutcome(response, error, in tried);
        return await retry.RetryAsync(state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pool a routing rule sends the request to; the logical service's own pool when no rule forwards elsewhere.</summary>
    private ServicePool SelectTarget(ServicePool pool, HttpRequestMessage request)
    {
        var table = pool.Routing!;
        // The key is read only when some rule uses it: extracting and hashing it costs tens of nanoseconds.
        ulong? keyHash = table.UsesGroupStickiness && pool.StickyRouter is { } sticky && sticky.TryGetKeyHash(request, out var hash) ? hash : null;
        var target = table.Route(request, pool.Random, keyHash);
        if (target == 0)
        {
            return pool;
        }

        var name = table.Pools[target];
        return _registry.TryGetPool(name, out var targetPool)
            ? targetPool
            : throw new NoAvailableEndpointException(pool.ServiceName, NoAvailableEndpointReason.NoMatchingEndpoint,
                $"A routing rule forwards to service '{name}', which is not configured.");
    }

    private static void RecordRequest(ServicePool pool, RequestOutcome outcome)
    {
        if (LoadstoneMetrics.Requests.Enabled)
        {
            LoadstoneMetrics.Requests.Add(1,
                new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, pool.ServiceName),
                new KeyValuePair<string, object?>(LoadstoneMetrics.OutcomeTag, LoadstoneMetrics.OutcomeName(outcome)));
        }
    }

    /// <summary>One more attempt for a request being retried, on an endpoint it has not tried yet where possible.</summary>
    internal ValueTask<HttpResponseMessage> RetryAttemptAsync(RetryState state, CancellationToken cancellationToken)
    {
        var pool = state.Pool;
        LoadstoneMetrics.Retries.Add(1, new KeyValuePair<string, object?>(LoadstoneMetrics.ServiceTag, pool.ServiceName));
        var lease = pool.AcquireExcluding(state.Route.Filter, state.Request, in state.Tried);
        state.Tried.Add(lease.State);
        return SendAttemptAsync(pool, state.Route, state.Request, lease, state.PathStart, state.Tried.Count, pool.Retry?.Options.AttemptTimeout, cancellationToken);
    }

    /// <summary>Sends the request to the leased endpoint, completes the lease with the outcome, and restores the request.</summary>
    /// <remarks>A <see cref="ValueTask{TResult}"/>, so an inner handler that answers synchronously costs no task allocation.</remarks>
    private async ValueTask<HttpResponseMessage> SendAttemptAsync(ServicePool pool, Route route, HttpRequestMessage request, EndpointLease lease,
        int pathStart, int attempt, TimeSpan? attemptTimeout, CancellationToken cancellationToken)
    {
        var original = request.RequestUri!;
        var activity = LoadstoneActivitySource.StartAttempt(pool, lease.Endpoint, attempt, pool.IsFailingOpen);
        var hostSet = Rewrite(route, request, lease.Endpoint, original, pathStart);
        var outcome = RequestOutcome.ConnectionFailure;
        CancellationTokenSource? timeout = null;
        CancellationTokenSource? linked = null;
        var token = cancellationToken;
        if (attemptTimeout is { } limit)
        {
            timeout = new CancellationTokenSource(limit, pool.TimeProvider);
            linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            token = linked.Token;
        }

        try
        {
            var response = await base.SendAsync(request, token).ConfigureAwait(false);
            outcome = OutcomeClassifier.FromResponse(response);
            return response;
        }
        catch (OperationCanceledException ex) when (timeout?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            outcome = RequestOutcome.Timeout;
            throw new TaskCanceledException(
                $"The attempt to {lease.Endpoint.BaseAddress} for service '{pool.ServiceName}' timed out after {attemptTimeout}.",
                new TimeoutException(ex.Message, ex));
        }
        catch (Exception ex)
        {
            outcome = OutcomeClassifier.FromException(ex, cancellationToken);
            throw;
        }
        finally
        {
            lease.Complete(outcome);
            LoadstoneActivitySource.Stop(activity, outcome);
            Restore(request, original, hostSet);
            linked?.Dispose();
            timeout?.Dispose();
        }
    }

    private static bool Rewrite(Route route, HttpRequestMessage request, LoadBalancedEndpoint endpoint, Uri original, int pathStart)
    {
        request.RequestUri = new Uri(string.Concat(endpoint.BaseAddress, original.OriginalString.AsSpan(pathStart)));
        // Read per request, so a configuration reload of UseServiceNameAsHost applies at once.
        if (route.Pool!.Options.UseServiceNameAsHost && request.Headers.Host is null)
        {
            request.Headers.Host = route.ServiceName;
            return true;
        }

        // An endpoint found by DNS under a name (an SRV target) answers to that name: Host header, SNI and certificate.
        if (endpoint.HostHeader is { } hostHeader && request.Headers.Host is null)
        {
            request.Headers.Host = hostHeader;
            return true;
        }

        return false;
    }

    private static void Restore(HttpRequestMessage request, Uri original, bool hostSet)
    {
        request.RequestUri = original;
        if (hostSet)
        {
            request.Headers.Host = null;
        }
    }

    /// <summary>
    /// Finds the route for a request URI from its <c>scheme://host</c> prefix, without allocating once cached.
    /// <paramref name="pathStart"/> is where the path (or query) begins in <see cref="Uri.OriginalString"/>.
    /// </summary>
    private Route Resolve(Uri? uri, out int pathStart)
    {
        pathStart = 0;
        if (uri is null || !uri.IsAbsoluteUri || !AuthorityParser.TrySplit(uri.OriginalString, out var keyLength, out pathStart))
        {
            return s_passThrough;
        }

        // Services added by a configuration reload must be routed at once, not after handler rotation.
        if (_routesVersion != _registry.Version)
        {
            _routesVersion = _registry.Version;
            _routes.Clear();
            Volatile.Write(ref _passThroughCount, 0);
        }

        var key = uri.OriginalString.AsSpan(0, keyLength);
        if (_routeLookup.TryGetValue(key, out var route))
        {
            return route;
        }

        return AddRoute(key.ToString());
    }

    private Route AddRoute(string key)
    {
        var route = CreateRoute(key);
        if (route.Pool is null)
        {
            if (Interlocked.Increment(ref _passThroughCount) > MaxCachedPassThroughRoutes)
            {
                return route;
            }
        }

        return _routes.GetOrAdd(key, route);
    }

    private Route CreateRoute(string key)
    {
        var separator = key.IndexOf("://", StringComparison.Ordinal);
        var scheme = key[..separator];
        var host = key[(separator + 3)..];
        string? endpointName = null;
        var serviceName = host;
        if (host.StartsWith('_') && host.IndexOf('.', StringComparison.Ordinal) is > 1 and var dot)
        {
            endpointName = host[1..dot];
            serviceName = host[(dot + 1)..];
        }

        if (!_registry.TryGetPool(serviceName, out var pool))
        {
            return s_passThrough;
        }

        var schemes = scheme.Contains('+', StringComparison.Ordinal)
            ? scheme.Split('+', StringSplitOptions.RemoveEmptyEntries)
            : [];
        if (endpointName is not null && ServiceDiscoveryConfiguration.IsUnnamed(endpointName))
        {
            // Service discovery reads Services:catalog:https for _https.catalog; those endpoints are the unnamed ones.
            schemes = endpointName.Equals(ServiceDiscoveryConfiguration.DefaultEndpointName, StringComparison.OrdinalIgnoreCase) ? schemes : [endpointName.ToLowerInvariant()];
            endpointName = null;
        }

        var filter = endpointName is null && schemes.Length == 0 ? null : new EndpointFilter(endpointName, schemes);
        return new Route(pool, filter, serviceName);
    }

    internal sealed record Route(ServicePool? Pool, EndpointFilter? Filter, string? ServiceName);
}
