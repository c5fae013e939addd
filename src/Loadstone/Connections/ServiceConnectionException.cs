using System.Text;

namespace Loadstone;

/// <summary>Why a <see cref="ConnectionBalancer"/> could not open a connection.</summary>
public enum ConnectFailureReason
{
    /// <summary>The pool had no endpoint to try (see the inner <see cref="NoAvailableEndpointException"/>).</summary>
    NoAvailableEndpoint,

    /// <summary>Every attempt the connect budget allowed failed.</summary>
    AllAttemptsFailed,

    /// <summary>The connect deadline ran out before an attempt succeeded.</summary>
    DeadlineExceeded,
}

/// <summary>How one connect attempt failed.</summary>
public enum ConnectError
{
    /// <summary>The endpoint refused the connection: nothing listens on that port.</summary>
    Refused,

    /// <summary>The attempt ran out of <see cref="ConnectionBalancerOptions.ConnectTimeout"/>.</summary>
    Timeout,

    /// <summary>The endpoint's host name did not resolve.</summary>
    HostNotFound,

    /// <summary>The TLS handshake failed: a certificate that does not match the expected name or chain, or a protocol error.</summary>
    Tls,

    /// <summary>Another network error: unreachable, reset during the handshake.</summary>
    Network,

    /// <summary>The connect deadline ran out during this attempt; not held against the endpoint.</summary>
    DeadlineExceeded,
}

/// <summary>One failed connect attempt: where, how, and the exception that said so.</summary>
public sealed class ConnectAttemptFailure
{
    /// <summary>Creates the record of a failed attempt.</summary>
    /// <param name="endpoint">The endpoint tried.</param>
    /// <param name="error">How the attempt failed.</param>
    /// <param name="detail">One sentence on what happened, e.g. the certificate's name and the name expected.</param>
    /// <param name="exception">The exception the attempt ended with.</param>
    public ConnectAttemptFailure(LoadBalancedEndpoint endpoint, ConnectError error, string detail, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(detail);
        ArgumentNullException.ThrowIfNull(exception);
        Endpoint = endpoint;
        Error = error;
        Detail = detail;
        Exception = exception;
    }

    /// <summary>The endpoint tried.</summary>
    public LoadBalancedEndpoint Endpoint { get; }

    /// <summary>How the attempt failed.</summary>
    public ConnectError Error { get; }

    /// <summary>One sentence on what happened, e.g. the certificate's name and the name expected.</summary>
    public string Detail { get; }

    /// <summary>The exception the attempt ended with.</summary>
    public Exception Exception { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Endpoint.BaseAddress}: {Detail}";
}

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
