namespace Loadstone;

/// <summary>Hedged attempts: a second attempt on another endpoint when the first has not answered within the hedging delay.</summary>
public sealed partial class LoadBalancingHandler
{
    /// <summary>
    /// Runs one attempt of the send loop with a hedge: the attempt starts as usual; if it has not ended after
    /// <paramref name="delay"/>, an endpoint not tried yet exists and the hedging budget allows, a copy of the request goes
    /// there. The first good answer (a response the retry policy would not retry) wins and the other attempt is cancelled;
    /// its lease ends as <see cref="RequestOutcome.Canceled"/>, which feeds latency as a lower bound. The original request
    /// is only ever sent by the first attempt, which is awaited before returning, so the request is restored on return.
    /// When both fail, the later failure is handed to the loop, which retries or requeues as for any attempt.
    /// </summary>
    private async Task<HedgeResult> SendHedgedAsync(Attempt a, EndpointLease lease, int attempt, TimeSpan delay, PickContext context,
        TriedEndpoints tried, CancellationToken cancellationToken)
    {
        var callerHost = a.Request.Headers.Host;
        using var primaryCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var primary = RunAttemptAsync(a, lease, attempt, a.Request, hedge: false, primaryCancel, cancellationToken);
        using (var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timer = Task.Delay(delay, a.Pool.TimeProvider, stopTimer.Token);
            if (await Task.WhenAny(primary, timer).ConfigureAwait(false) == primary)
            {
                stopTimer.Cancel();
                return new HedgeResult(await primary.ConfigureAwait(false), null);
            }
        }

        if (cancellationToken.IsCancellationRequested || !a.Pool.HasUntried(a.Route.Filter, tried) || !a.Hedging.Budget.TryWithdraw())
        {
            return new HedgeResult(await primary.ConfigureAwait(false), null);
        }

        EndpointLease hedgeLease;
        try
        {
            hedgeLease = a.Pool.AcquireAttempt(a.Route.Filter, ref context, tried);
        }
        catch (NoAvailableEndpointException)
        {
            return new HedgeResult(await primary.ConfigureAwait(false), null);
        }

        var copy = Copy(a.Request, a.Original, callerHost);
        var hedgeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var hedge = RunAttemptAsync(a, hedgeLease, attempt + 1, copy, hedge: true, hedgeCancel, cancellationToken);
        var first = await Task.WhenAny(primary, hedge).ConfigureAwait(false);
        var firstResult = await first.ConfigureAwait(false);
        AttemptResult result;
        bool hedgeWon;
        if (IsAnswer(a, firstResult))
        {
            (result, hedgeWon) = (firstResult, first == hedge);
            if (hedgeWon)
            {
                // The original request is still out on the first attempt: cancel it, and wait until it is restored.
                await primaryCancel.CancelAsync().ConfigureAwait(false);
                (await primary.ConfigureAwait(false)).Response?.Dispose();
            }
            else
            {
                await hedgeCancel.CancelAsync().ConfigureAwait(false);
            }
        }
        else
        {
            var second = first == primary ? hedge : primary;
            var secondResult = await second.ConfigureAwait(false);
            firstResult.Response?.Dispose();
            (result, hedgeWon) = (secondResult, second == hedge);
        }

        a.Pool.Telemetry.RecordHedge(!IsAnswer(a, result) ? "failed" : hedgeWon ? "won" : "lost");
        if (hedgeWon && result.Response is { } response)
        {
            response.RequestMessage = a.Request;
        }

        // The copy shares the caller's content, so it is never disposed; its cancellation source goes once the hedge ends.
        _ = hedge.ContinueWith(static (t, state) =>
        {
            var (cancel, winner) = ((CancellationTokenSource, HttpResponseMessage?))state!;
            if (!ReferenceEquals(t.Result.Response, winner))
            {
                t.Result.Response?.Dispose();
            }

            cancel.Dispose();
        }, (hedgeCancel, result.Response), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new HedgeResult(result, hedgeLease.State);
    }

    /// <summary>One attempt of a hedged pair, from lease to restored request; it never throws (the failure is in the result).</summary>
    private async Task<AttemptResult> RunAttemptAsync(Attempt a, EndpointLease lease, int attempt, HttpRequestMessage message, bool hedge,
        CancellationTokenSource superseded, CancellationToken cancellationToken)
    {
        var outcome = RequestOutcome.ConnectionFailure;
        HttpResponseMessage? response = null;
        Exception? error = null;
        var activity = LoadstoneActivitySource.StartAttempt(a.Pool, lease.Endpoint, attempt, a.Pool.IsFailingOpen, hedge);
        var hostSet = Rewrite(a.Route, message, lease.Endpoint, a.Original, a.PathStart);
        var timeout = a.AttemptTimeout is { } limit ? new CancellationTokenSource(limit, a.Pool.TimeProvider) : null;
        var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(superseded.Token, timeout.Token);
        try
        {
            response = await base.SendAsync(message, linked?.Token ?? superseded.Token).ConfigureAwait(false);
            outcome = OutcomeClassifier.FromResponse(response);
        }
        catch (Exception ex)
        {
            (outcome, error) = Classify(ex, a.Pool, lease, a.AttemptTimeout, timeout, superseded, cancellationToken);
        }
        finally
        {
            EndAttempt(a.Pool, lease, outcome, response, a.Hedging, lostToHedge: outcome == RequestOutcome.Canceled && !cancellationToken.IsCancellationRequested);
            LoadstoneActivitySource.Stop(activity, outcome);
            Restore(message, a.Original, hostSet);
            linked?.Dispose();
            timeout?.Dispose();
        }

        return new AttemptResult(response, error, outcome);
    }

    /// <summary>A good answer ends the race: a response the retry policy would not send elsewhere.</summary>
    private static bool IsAnswer(Attempt a, AttemptResult result) =>
        result.Response is { } response && a.Retry?.IsRetryable(response) != true;

    /// <summary>A copy of the caller's request for the hedge: method, version, headers (the caller's Host), options and the same content.</summary>
    private static HttpRequestMessage Copy(HttpRequestMessage request, Uri original, string? callerHost)
    {
        var copy = new HttpRequestMessage(request.Method, original)
        {
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
            Content = request.Content,
        };
        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        // The first attempt may have set Host for its own endpoint; the copy carries what the caller set.
        copy.Headers.Host = callerHost;
        var options = (IDictionary<string, object?>)copy.Options;
        foreach (var option in request.Options)
        {
            options[option.Key] = option.Value;
        }

        return copy;
    }

    /// <summary>What a hedged attempt needs besides its lease.</summary>
    private readonly record struct Attempt(ServicePool Pool, RouteCache.Route Route, HttpRequestMessage Request, Uri Original, int PathStart,
        TimeSpan? AttemptTimeout, HedgingPolicy Hedging, RetryPolicy? Retry);

    /// <summary>How one attempt ended.</summary>
    private readonly record struct AttemptResult(HttpResponseMessage? Response, Exception? Error, RequestOutcome Outcome);

    /// <summary>How a hedged attempt ended: the answer handed to the loop, and the hedge's endpoint when one was sent.</summary>
    private readonly record struct HedgeResult(AttemptResult Result, EndpointState? Hedge)
    {
        public HttpResponseMessage? Response => Result.Response;

        public Exception? Error => Result.Error;

        public RequestOutcome Outcome => Result.Outcome;
    }
}
