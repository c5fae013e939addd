using System.Net;

namespace Loadstone;

/// <summary>Turns an HTTP response or exception into the <see cref="RequestOutcome"/> the balancer learns from.</summary>
internal static class OutcomeClassifier
{
    /// <summary>The exception Polly (Microsoft.Extensions.Http.Resilience) throws when its timeout strategy fires.</summary>
    private const string PollyTimeoutRejected = "Polly.Timeout.TimeoutRejectedException";

    /// <summary>The header (or trailer) that carries a gRPC call's status.</summary>
    private const string GrpcStatusHeader = "grpc-status";

    public static RequestOutcome FromResponse(HttpResponseMessage response) => response.StatusCode switch
    {
        // A gRPC error sent before any message ("trailers-only") arrives as HTTP 200 with grpc-status in the headers.
        HttpStatusCode.OK when response.Headers.NonValidated.TryGetValues(GrpcStatusHeader, out var status) => FromGrpcStatus(status.ToString()),
        HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => RequestOutcome.GatewayError,
        >= HttpStatusCode.InternalServerError and <= (HttpStatusCode)599 => RequestOutcome.ServerError,
        _ => RequestOutcome.Success,
    };

    /// <summary>
    /// A gRPC status code as an outcome, following Envoy's mapping of gRPC codes to HTTP statuses: UNAVAILABLE (14) and
    /// RESOURCE_EXHAUSTED (8) are gateway errors (an overloaded or absent server, like 503), DEADLINE_EXCEEDED (4) a
    /// timeout, UNKNOWN (2), UNIMPLEMENTED (12), INTERNAL (13) and DATA_LOSS (15) server errors, CANCELLED (1) a
    /// cancellation; every other code is the caller's problem (invalid argument, not found...) and a success for the endpoint.
    /// </summary>
    public static RequestOutcome FromGrpcStatus(ReadOnlySpan<char> status) => status switch
    {
        "0" => RequestOutcome.Success,
        "14" or "8" => RequestOutcome.GatewayError,
        "4" => RequestOutcome.Timeout,
        "2" or "12" or "13" or "15" => RequestOutcome.ServerError,
        "1" => RequestOutcome.Canceled,
        _ => RequestOutcome.Success,
    };

    /// <param name="exception">What the inner handler threw.</param>
    /// <param name="callerToken">The token the caller passed; when it is cancelled, the endpoint is not to blame.</param>
    public static RequestOutcome FromException(Exception exception, CancellationToken callerToken) => exception switch
    {
        OperationCanceledException when callerToken.IsCancellationRequested => RequestOutcome.Canceled,
        _ when IsTimeout(exception) => RequestOutcome.Timeout,
        // Refused, reset, TLS failure, malformed response: the endpoint did not deliver a response.
        _ => RequestOutcome.ConnectionFailure,
    };

    /// <summary>
    /// A timeout: an <see cref="OperationCanceledException"/> the caller did not ask for, a <see cref="TimeoutException"/>,
    /// or Polly's TimeoutRejectedException (a resilience handler's attempt or total timeout inside the balancer).
    /// </summary>
    public static bool IsTimeout(Exception exception) =>
        exception is OperationCanceledException or TimeoutException || IsPollyTimeout(exception.GetType());

    // By name: the core does not depend on Polly. TimeoutRejectedException is sealed in Polly 8, but a check of the base
    // types costs nothing and survives a future subclass.
    private static bool IsPollyTimeout(Type? type)
    {
        for (; type is not null && type != typeof(Exception); type = type.BaseType)
        {
            if (type.FullName == PollyTimeoutRejected)
            {
                return true;
            }
        }

        return false;
    }
}
