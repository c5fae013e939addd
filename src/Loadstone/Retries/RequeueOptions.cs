namespace Loadstone;

/// <summary>
/// Requeues, as Finagle's: an attempt that provably never reached a server (the connection was refused, the name did not
/// resolve, the TLS handshake with the endpoint failed) is sent at once to an endpoint not tried yet, whatever the
/// method and content, since nothing was delivered. Requeues are not retries: they do not count against
/// <see cref="RetryOptions.MaxRetryAttempts"/> or the retry budget, but are bounded by their own budget.
/// </summary>
public sealed class RequeueOptions
{
    /// <summary>Whether undelivered attempts are requeued. The default is <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requeues one request may make, 1 to 25. The default is 5 (Finagle's limit is 25).</summary>
    public int MaxRequeueAttempts { get; set; } = 5;

    /// <summary>
    /// The requeue budget: requeues may be at most this percentage of requests (over the last 10 s), 0 to 100. The default
    /// is 20, as Finagle's requeue budget.
    /// </summary>
    public int BudgetPercent { get; set; } = 20;

    /// <summary>Requeues always allowed per second on top of <see cref="BudgetPercent"/>, 0 to 100,000. The default is 10, as Finagle's.</summary>
    public int MinRequeuesPerSecond { get; set; } = 10;

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    internal List<string> Validate(string service)
    {
        var problems = new List<string>();
        var check = new OptionChecks(problems, service, $"LoadBalancing:Services:{service}", "Requeues:");
        check.Range(nameof(MaxRequeueAttempts), MaxRequeueAttempts, 1, 25);
        check.Range(nameof(BudgetPercent), BudgetPercent, 0, 100);
        check.Range(nameof(MinRequeuesPerSecond), MinRequeuesPerSecond, 0, 100_000);
        return problems;
    }
}
