using System.Text;

namespace Loadstone;

/// <summary>
/// Thrown when a <see cref="ConnectionBalancer"/> cannot open a connection to any endpoint of a service. Its message
/// lists every attempt; <see cref="Attempts"/> holds them. It derives from <see cref="IOException"/>, as the errors of
/// <see cref="Stream"/> and socket code do.
/// </summary>
public sealed class ServiceConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The logical service.</param>
    /// <param name="reason">Why no connection was made.</param>
    /// <param name="attempts">The failed attempts, in order; may be empty.</param>
    /// <param name="innerException">The last attempt's exception, or the pool's <see cref="NoAvailableEndpointException"/>.</param>
    public ServiceConnectionException(string serviceName, ConnectFailureReason reason, IReadOnlyList<ConnectAttemptFailure> attempts,
        Exception? innerException = null)
        : base(BuildMessage(serviceName, reason, attempts, innerException), innerException)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        ServiceName = serviceName;
        Reason = reason;
        Attempts = attempts;
    }

    /// <summary>The logical service.</summary>
    public string ServiceName { get; }

    /// <summary>Why no connection was made.</summary>
    public ConnectFailureReason Reason { get; }

    /// <summary>The failed attempts, in order.</summary>
    public IReadOnlyList<ConnectAttemptFailure> Attempts { get; }

    private static string BuildMessage(string serviceName, ConnectFailureReason reason, IReadOnlyList<ConnectAttemptFailure> attempts,
        Exception? inner)
    {
        var text = new StringBuilder();
        text.Append("No connection to service '").Append(serviceName).Append("' could be made: ");
        text.Append(reason switch
        {
            ConnectFailureReason.NoAvailableEndpoint => inner?.Message ?? "no endpoint is available.",
            ConnectFailureReason.AllAttemptsFailed => $"{attempts.Count} attempt{(attempts.Count == 1 ? "" : "s")} failed, the connect budget.",
            ConnectFailureReason.DeadlineExceeded => "the connect deadline ran out.",
            _ => reason.ToString(),
        });
        for (var i = 0; i < attempts.Count; i++)
        {
            var a = attempts[i];
            text.Append(' ').Append(i + 1).Append(". ").Append(a.Endpoint.BaseAddress).Append(": ").Append(a.Detail);
        }

        return text.ToString();
    }
}
