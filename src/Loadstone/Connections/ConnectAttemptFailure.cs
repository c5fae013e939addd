using System.Text;

namespace Loadstone;

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
