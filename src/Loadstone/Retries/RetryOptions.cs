namespace Loadstone;

/// <summary>
/// Retries that move to another endpoint. A failed attempt of an idempotent request (no response, a timeout, or one of
/// <see cref="StatusCodes"/>) is sent again to an endpoint not yet tried, within the caller's deadline, as long as the
/// retry budget allows. Every attempt feeds passive health checks.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>The default of <see cref="StatusCodes"/>: <c>502,503,504</c>.</summary>
    public const string DefaultStatusCodes = "502,503,504";

    /// <summary>Whether failed attempts are retried. The default is <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Retries after the first attempt, 1 to 10. The default is 2.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>
    /// The response status codes that are retried, written like a health check's matcher: codes and ranges such as
    /// <c>503</c>, <c>502,503,504</c> or <c>500-599</c>, each 100 to 599. The default is <c>502,503,504</c> (the gateway
    /// errors). A value from configuration replaces the default; an empty one retries no status code, only attempts that
    /// got no response.
    /// </summary>
    public string StatusCodes { get; set; } = DefaultStatusCodes;

    /// <summary>
    /// Retry methods that are not idempotent (POST, PATCH) too. The default is <see langword="false"/>: only GET, HEAD,
    /// OPTIONS, TRACE, PUT and DELETE are retried.
    /// </summary>
    public bool RetryNonIdempotent { get; set; }

    /// <summary>
    /// A limit on each attempt's duration, after which it counts as a timeout and may be retried; <see langword="null"/>
    /// (the default) leaves attempts bounded only by the caller's own timeout. The range is 10 ms to 10 min.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>
    /// The retry budget: retries may be at most this percentage of requests (over the last 10 s), 0 to 100, as Finagle's.
    /// The default is 20.
    /// </summary>
    public int BudgetPercent { get; set; } = 20;

    /// <summary>Retries always allowed per second on top of <see cref="BudgetPercent"/>, 0 or more. The default is 10, as Finagle's.</summary>
    public int MinRetriesPerSecond { get; set; } = 10;

    /// <summary>The pause before a retry. The default is <see cref="TimeSpan.Zero"/>: another endpoint is tried at once. The range is 0 to 10 s.</summary>
    public TimeSpan Delay { get; set; }
}
