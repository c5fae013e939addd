using System.Net.Http.Json;
using System.Runtime.ExceptionServices;
using Polly;
using Polly.Retry;

namespace Loadstone;

/// <summary>
/// A pool's retry policy: which failed attempts may be retried, the retry budget, and the Polly.Core pipeline that
/// runs the retries. The first attempt runs outside Polly, so a request that succeeds first time pays nothing.
/// </summary>
internal sealed class RetryExecutor
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly StatusCodeMatcher? _statusCodes;

    public RetryExecutor(RetryOptions options, TimeProvider timeProvider)
    {
        Options = options;
        _statusCodes = string.IsNullOrWhiteSpace(options.StatusCodes) ? null
            : StatusCodeMatcher.TryParse(options.StatusCodes, out var codes, out _) ? codes
            : throw new InvalidOperationException("Retries:StatusCodes was validated.");
        Budget = new RetryBudget(options.BudgetPercent, options.MinRetriesPerSecond, timeProvider);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.Delay,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
                // Polly asks even after the last attempt; only a retry that will happen may spend the budget.
                ShouldHandle = args => new ValueTask<bool>(
                    args.AttemptNumber < options.MaxRetryAttempts
                    && IsRetryable(args.Outcome, args.Context.CancellationToken)
                    && Budget.TryWithdraw()),
            })
            .Build();
    }

    public RetryOptions Options { get; }

    public RetryBudget Budget { get; }

    /// <summary>Whether this request may ever be retried: its method is idempotent (or opted in) and its content can be sent again.</summary>
    public bool CanRetry(HttpRequestMessage request) =>
        (Options.RetryNonIdempotent || IsIdempotent(request.Method))
        && request.Content is null or ByteArrayContent or ReadOnlyMemoryContent or JsonContent;

    public bool IsRetryable(HttpResponseMessage response) => _statusCodes?.Matches((int)response.StatusCode) == true;

    /// <summary>No response (refused, reset, timed out), and not because the caller cancelled or nothing was available.</summary>
    public static bool IsRetryable(Exception exception, CancellationToken callerToken) =>
        exception is not NoAvailableEndpointException
        && exception is HttpRequestException or OperationCanceledException or TimeoutException or IOException
        && !callerToken.IsCancellationRequested;

    /// <summary>Runs the retries after a first attempt that failed; the state holds that first outcome.</summary>
    public ValueTask<HttpResponseMessage> RetryAsync(RetryState state, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static (s, token) => s.NextAttemptAsync(token), state, cancellationToken);

    private bool IsRetryable(Outcome<HttpResponseMessage> outcome, CancellationToken callerToken) =>
        outcome.Exception is { } exception
            ? IsRetryable(exception, callerToken)
            : outcome.Result is { } response && IsRetryable(response);

    private static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
        || method == HttpMethod.Trace || method == HttpMethod.Put || method == HttpMethod.Delete;
}

/// <summary>
/// The state of one request's retries (allocated only once a first attempt has failed): the endpoints tried, and
/// the first attempt's outcome, which Polly evaluates before asking for the next attempt.
/// </summary>
internal sealed class RetryState(LoadBalancingHandler handler, ServicePool pool, LoadBalancingHandler.Route route, HttpRequestMessage request, int pathStart)
{
    private HttpResponseMessage? _firstResponse;
    private ExceptionDispatchInfo? _firstError;
    private TriedEndpoints _tried;

    /// <summary>The pool the attempts go to (after routing rules).</summary>
    public ServicePool Pool => pool;

    public LoadBalancingHandler.Route Route => route;

    public HttpRequestMessage Request => request;

    public int PathStart => pathStart;

    public ref TriedEndpoints Tried => ref _tried;

    public void SetFirstOutcome(HttpResponseMessage? response, Exception? error, in TriedEndpoints tried)
    {
        _firstResponse = response;
        _firstError = error is null ? null : ExceptionDispatchInfo.Capture(error);
        _tried = tried;
    }

    public ValueTask<HttpResponseMessage> NextAttemptAsync(CancellationToken cancellationToken)
    {
        if (_firstResponse is { } response)
        {
            _firstResponse = null;
            return new ValueTask<HttpResponseMessage>(response);
        }

        if (_firstError is { } error)
        {
            _firstError = null;
            error.Throw();
        }

        return handler.RetryAttemptAsync(this, cancellationToken);
    }
}
