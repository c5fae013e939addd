namespace Loadstone;

/// <summary>
/// A handler outside the balancer (a resilience handler's retry or hedge) sent a request again, and the service's retry
/// budget (<see cref="RetryOptions.BudgetPercent"/> of requests plus <see cref="RetryOptions.MinRetriesPerSecond"/>) was
/// spent: the attempt was not made, so that retries cannot multiply the load on a failing service.
/// </summary>
public sealed class RetryBudgetExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The logical service name.</param>
    /// <param name="attempt">The attempt that was refused (2 for the first retry).</param>
    public RetryBudgetExceededException(string serviceName, int attempt)
        : base($"Service '{serviceName}' refused attempt {attempt} of a request: its retry budget is spent (Retries:BudgetPercent, Retries:MinRetriesPerSecond). The retries come from a handler outside the load balancer, such as a resilience handler.")
    {
        ServiceName = serviceName;
        Attempt = attempt;
    }

    /// <summary>The logical service name.</summary>
    public string ServiceName { get; }

    /// <summary>The attempt that was refused (2 for the first retry).</summary>
    public int Attempt { get; }
}
