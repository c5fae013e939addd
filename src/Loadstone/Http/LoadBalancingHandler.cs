using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Loadstone;

/// <summary>
/// The HttpClient side of the balancer. A request to a logical service (<c>http://catalog/items</c>) is sent to an
/// endpoint its pool chooses (<c>http://10.0.1.5:8080/items</c>); any other request passes through untouched.
/// </summary>
/// <remarks>
/// Scheme, host and port come from the chosen endpoint; the path and query are kept, behind the endpoint's path
/// prefix if it has one. The request's URI is restored when the call returns. Understands the
/// Microsoft.Extensions.ServiceDiscovery URI conventions <c>https+http://catalog</c> (prefer https endpoints, else
/// http) and <c>https://_dashboard.catalog</c> (the endpoints named <c>dashboard</c>). <see cref="Send"/> and
/// <see cref="SendAsync"/> run the same send loop: routing rules, attempts, requeues of attempts that never reached a
/// server and retries on endpoints not tried yet within their budgets, attempt timeouts, <c>Retry-After</c>, an activity
/// per attempt and the request metric; <see cref="SendAsync"/> also hedges slow attempts when the pool's hedging is on. The handler keeps no balancing
/// state of its own: that lives in the <see cref="ServicePool"/>, so handler rotation loses nothing.
/// </remarks>
public sealed partial class LoadBalancingHandler : DelegatingHandler
{
    private readonly ServicePoolRegistry _registry;
    private readonly RouteCache _routes;

    /// <summary>Creates a handler that routes requests for every service of <paramref name="registry"/>.</summary>
    /// <param name="registry">The pools.</param>
    public LoadBalancingHandler(ServicePoolRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _routes = new RouteCache(registry);
    }

    /// <summary>Creates a handler that routes requests for the service of <paramref name="pool"/>, for use without a container.</summary>
    /// <param name="pool">The pool. The handler does not dispose it.</param>
    /// <param name="innerHandler">The handler that sends the rewritten requests, e.g. a <see cref="SocketsHttpHandler"/>.</param>
    /// <remarks>
    /// When <paramref name="innerHandler"/> is (or ends in) a <see cref="SocketsHttpHandler"/>, it is marked so that a
    /// Grpc.Net.Client channel given this handler leaves the balancing to it instead of balancing on its own.
    /// </remarks>
    public LoadBalancingHandler(ServicePool pool, HttpMessageHandler innerHandler)
        : this(new ServicePoolRegistry(pool))
    {
        ArgumentNullException.ThrowIfNull(innerHandler);
        InnerHandler = innerHandler;
        HandlerPlacement.DisableGrpcBalancing(innerHandler);
    }

    /// <summary>
    /// Set by the handler placement when a resilience handler outside this one re-sends requests (and a
    /// <see cref="RequestEntryHandler"/> gives them their <see cref="RequestAttempts"/>).
    /// </summary>
    internal bool OuterAttempts { get; set; }

    /// <summary>The pools this handler routes to.</summary>
    internal ServicePoolRegistry Registry => _registry;

    /// <summary>Whether a request to <paramref name="uri"/> names a service this handler balances.</summary>
    internal bool Routes(Uri? uri) => _routes.Resolve(uri, out _).Service is not null;

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var route = _routes.Resolve(request.RequestUri, out var pathStart);
        return route.Service is null
            ? base.SendAsync(request, cancellationToken)
            : SendBalancedAsync(route, request, pathStart, async: true, cancellationToken).AsTask();
    }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var route = _routes.Resolve(request.RequestUri, out var pathStart);
        // With async: false every step of the loop completes synchronously, so the task is complete on return.
        return route.Service is null
            ? base.Send(request, cancellationToken)
            : SendBalancedAsync(route, request, pathStart, async: false, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The send loop: one async method, whose state machine comes from a pool (so a request costs no box of it, only the
    /// task <see cref="SendAsync"/> hands back). Each attempt leases an endpoint, rewrites the request to it, sends,
    /// completes the lease with the outcome and restores the request. An attempt that never reached a server is requeued
    /// on an endpoint not tried yet (any method, within the requeue budget); another failed attempt worth retrying is
    /// retried there while the retry budget allows; a slow attempt may be hedged (<see cref="SendHedgedAsync"/>).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> SendBalancedAsync(RouteCache.Route route, HttpRequestMessage request, int pathStart,
        bool async, CancellationToken cancellationToken)
    {
        var service = route.Service!;
        var outcome = RequestOutcome.ConnectionFailure;
        try
        {
            await WhenReadyAsync(service.Pool, async, cancellationToken).ConfigureAwait(false);
            var context = new PickContext(request);
            // Routing rules of the logical service may send the request to another pool (a canary, a version).
            var pool = service.SelectTarget(_registry, ref context);
            await WhenReadyAsync(pool, async, cancellationToken).ConfigureAwait(false);

            var retry = pool.Retry is { } policy && policy.CanRetry(request) ? policy : null;
            var requeue = pool.Requeue;
            // Only what may be sent twice is hedged, and only asynchronously: a synchronous Send has one thread.
            var hedging = async && retry is not null ? pool.Hedging : null;
            var attemptTimeout = retry?.Options.AttemptTimeout;
            var original = request.RequestUri!;
            var tried = default(TriedEndpoints);
            var requeues = 0;
            // An outer resilience handler re-sending the request owns retries (and hedges): one attempt per entry, on an
            // untried endpoint; an attempt that never reached a server is still requeued, since that is no retry.
            var entry = RequestAttempts.Enter(OuterAttempts, request, pool, ref tried);
            if (entry.SingleAttempt)
            {
                hedging = null;
            }

            for (var attempt = entry.FirstAttempt; ; attempt++)
            {
                var lease = pool.AcquireAttempt(route.Filter, ref context, tried);
                tried.Add(lease.State);
                entry.Record(lease.State);
                if (attempt == 1)
                {
                    // The budgets count in seconds of the pool's clock: the lease's reading, divided once for all of them.
                    var second = lease.StartTimestamp / pool.TimeProvider.TimestampFrequency;
                    retry?.Budget.OnRequestInSecond(second);
                    requeue?.Budget.OnRequestInSecond(second);
                    hedging?.Budget.OnRequestInSecond(second);
                }

                HttpResponseMessage? response = null;
                Exception? error = null;
                if (hedging?.Delay is { } hedgeDelay)
                {
                    var hedged = await SendHedgedAsync(new Attempt(pool, route, request, original, pathStart, attemptTimeout, hedging, retry),
                        lease, attempt, hedgeDelay, context, tried, cancellationToken).ConfigureAwait(false);
                    (response, error, outcome) = (hedged.Response, hedged.Error, hedged.Outcome);
                    if (hedged.Hedge is { } hedge)
                    {
                        // One hedge per request; its endpoint counts as tried.
                        tried.Add(hedge);
                        entry.Record(hedge);
                        hedging = null;
                    }
                }
                else
                {
                    var activity = LoadstoneActivitySource.StartAttempt(pool, lease.Endpoint, attempt, pool.IsFailingOpen);
                    var hostSet = Rewrite(route, request, lease.Endpoint, original, pathStart);
                    var timeout = attemptTimeout is { } limit ? new CancellationTokenSource(limit, pool.TimeProvider) : null;
                    var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                    try
                    {
                        var token = linked?.Token ?? cancellationToken;
                        response = async
                            ? await base.SendAsync(request, token).ConfigureAwait(false)
                            : base.Send(request, token);
                        outcome = OutcomeClassifier.FromResponse(response);
                    }
                    catch (Exception ex)
                    {
                        // Against the caller's own token: an outer handler's timeout is the endpoint's timeout, not a cancellation.
                        (outcome, error) = Classify(ex, pool, lease, attemptTimeout, timeout, null, entry.CallerToken(cancellationToken));
                    }
                    finally
                    {
                        EndAttempt(pool, lease, outcome, response, hedging, lostToHedge: false);
                        LoadstoneActivitySource.Stop(activity, outcome);
                        Restore(request, original, hostSet);
                        linked?.Dispose();
                        timeout?.Dispose();
                    }
                }

                // A requeue: nothing reached a server, so any request may go to another endpoint, within its own budget.
                if (outcome == RequestOutcome.Unreachable && requeue is not null && requeues < requeue.Options.MaxRequeueAttempts
                    && !cancellationToken.IsCancellationRequested && pool.HasUntried(route.Filter, tried) && requeue.Budget.TryWithdraw())
                {
                    requeues++;
                    pool.Telemetry.RecordRequeue();
                    continue;
                }

                var worthRetrying = response is not null ? retry?.IsRetryable(response) == true : RetryPolicy.IsRetryable(error!, cancellationToken);
                if (retry is null || entry.SingleAttempt || !worthRetrying || attempt - requeues > retry.Options.MaxRetryAttempts || !retry.Budget.TryWithdraw())
                {
                    if (response is not null)
                    {
                        return response;
                    }

                    // Rethrown with its original stack; an attempt timeout's exception was made here and starts here.
                    ExceptionDispatchInfo.Throw(error!);
                }

                response?.Dispose();
                pool.Telemetry.RecordRetry();
                if (retry.Options.Delay > TimeSpan.Zero)
                {
                    var delay = Task.Delay(retry.Options.Delay, pool.TimeProvider, cancellationToken);
                    if (async)
                    {
                        await delay.ConfigureAwait(false);
                    }
                    else
                    {
                        delay.GetAwaiter().GetResult();
                    }
                }
            }
        }
        catch (Exception ex)
        {
            outcome = OutcomeClassifier.FromException(ex, cancellationToken);
            throw;
        }
        finally
        {
            service.Pool.Telemetry.RecordRequest(outcome);
        }
    }

    /// <summary>
    /// The outcome of an attempt that threw, and the exception to hand on: an attempt timeout becomes a
    /// <see cref="TaskCanceledException"/> naming the endpoint; an attempt cancelled because its hedge answered first is
    /// <see cref="RequestOutcome.Canceled"/>; a failure that never reached a server is <see cref="RequestOutcome.Unreachable"/>.
    /// </summary>
    private static (RequestOutcome, Exception) Classify(Exception ex, ServicePool pool, in EndpointLease lease, TimeSpan? attemptTimeout,
        CancellationTokenSource? timeout, CancellationTokenSource? superseded, CancellationToken cancellationToken)
    {
        if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            if (superseded?.IsCancellationRequested == true)
            {
                return (RequestOutcome.Canceled, ex);
            }

            if (timeout?.IsCancellationRequested == true)
            {
                return (RequestOutcome.Timeout, new TaskCanceledException(
                    $"The attempt to {lease.Endpoint.BaseAddress} for service '{pool.ServiceName}' timed out after {attemptTimeout}.",
                    new TimeoutException(ex.Message, ex)));
            }
        }

        var outcome = OutcomeClassifier.FromException(ex, cancellationToken);
        return (outcome == RequestOutcome.ConnectionFailure && RequeuePolicy.NeverReachedServer(ex) ? RequestOutcome.Unreachable : outcome, ex);
    }

    /// <summary>
    /// Ends an attempt: completes the lease (health, latency, metrics), feeds the hedging delay, and honours a
    /// <c>Retry-After</c> of a 429 or 503 by keeping the endpoint out of picks for the advised time (bounded).
    /// </summary>
    private static void EndAttempt(ServicePool pool, in EndpointLease lease, RequestOutcome outcome, HttpResponseMessage? response,
        HedgingPolicy? hedging, bool lostToHedge)
    {
        var end = lease.CompleteAt(outcome, attempt: true);
        hedging?.Record(outcome, end - lease.StartTimestamp, end, lostToHedge);
        if (response is { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, Headers.RetryAfter: { } retryAfter })
        {
            RetryAfter.Apply(pool, lease.State, retryAfter, end);
        }
    }

    private static Task WhenReadyAsync(ServicePool pool, bool async, CancellationToken cancellationToken)
    {
        if (pool.IsReady)
        {
            return Task.CompletedTask;
        }

        var ready = pool.InitializeAsync(cancellationToken);
        if (!async)
        {
            ready.GetAwaiter().GetResult();
        }

        return ready;
    }

    private static bool Rewrite(RouteCache.Route route, HttpRequestMessage request, LoadBalancedEndpoint endpoint, Uri original, int pathStart)
    {
        request.RequestUri = new Uri(string.Concat(endpoint.BaseAddress, original.OriginalString.AsSpan(pathStart)));
        // Read per request, so a configuration reload of UseServiceNameAsHost applies at once.
        if (route.Service!.Pool.Options.UseServiceNameAsHost && request.Headers.Host is null)
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
}
