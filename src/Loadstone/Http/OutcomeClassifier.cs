using System.Net;

namespace Loadstone;

/// <summary>Turns an HTTP response or exception into the <see cref="RequestOutcome"/> the balancer learns from.</summary>
internal static class OutcomeClassifier
{
    public static RequestOutcome FromResponse(HttpResponseMessage response) => response.StatusCode switch
    {
        HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => RequestOutcome.GatewayError,
        >= HttpStatusCode.InternalServerError and <= (HttpStatusCode)599 => RequestOutcome.ServerError,
        _ => RequestOutcome.Success,
    };

    /// <param name="exception">What the inner handler threw.</param>
    /// <param name="callerToken">The token the caller passed; when it is cancelled, the endpoint is not to blame.</param>
    public static RequestOutcome FromException(Exception exception, CancellationToken callerToken) => exception switch
    {
        OperationCanceledException when callerToken.IsCancellationRequested => RequestOutcome.Canceled,
        OperationCanceledException or TimeoutException => RequestOutcome.Timeout,
        // Refused, reset, TLS failure, malformed response: the endpoint did not deliver a response.
        _ => RequestOutcome.ConnectionFailure,
    };
}
