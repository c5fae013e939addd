using System.Net.Http.Json;

namespace Loadstone;

/// <summary>
/// A pool's retry policy: which requests may be retried at all, which failed attempts are worth another endpoint, and
/// the retry budget that bounds them. The send loop asks it; it sends nothing itself.
/// </summary>
internal sealed class RetryPolicy
{
    private readonly StatusCodeMatcher? _statusCodes;

    public RetryPolicy(RetryOptions options, TimeProvider timeProvider)
    {
        Options = options;
        _statusCodes = string.IsNullOrWhiteSpace(options.StatusCodes) ? null
            : StatusCodeMatcher.TryParse(options.StatusCodes, out var codes, out _) ? codes
            : throw new InvalidOperationException("Retries:StatusCodes was validated.");
        Budget = new RetryBudget(options.BudgetPercent, options.MinRetriesPerSecond, timeProvider);
    }

    public RetryOptions Options { get; }

    public RetryBudget Budget { get; }

    /// <summary>Whether this request may ever be retried: its method is idempotent (or opted in) and its content can be sent again.</summary>
    public bool CanRetry(HttpRequestMessage request) =>
        (Options.RetryNonIdempotent || IsIdempotent(request.Method))
        && request.Content is null or ByteArrayContent or ReadOnlyMemoryContent or JsonContent;

    /// <summary>Whether a response's status is one of <see cref="RetryOptions.StatusCodes"/>.</summary>
    public bool IsRetryable(HttpResponseMessage response) => _statusCodes?.Matches((int)response.StatusCode) == true;

    /// <summary>No response (refused, reset, timed out), and not because the caller cancelled or nothing was available.</summary>
    public static bool IsRetryable(Exception exception, CancellationToken callerToken) =>
        exception is not NoAvailableEndpointException
        && (exception is HttpRequestException or IOException || OutcomeClassifier.IsTimeout(exception))
        && !callerToken.IsCancellationRequested;

    private static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
        || method == HttpMethod.Trace || method == HttpMethod.Put || method == HttpMethod.Delete;
}
