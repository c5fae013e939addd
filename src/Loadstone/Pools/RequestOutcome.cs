namespace Loadstone;

/// <summary>How a request sent to an endpoint ended, as reported to <see cref="EndpointLease.Complete"/>.</summary>
public enum RequestOutcome
{
    /// <summary>The endpoint answered with a response that is not a server error.</summary>
    Success = 0,

    /// <summary>The endpoint answered with a 5xx status other than 502, 503 and 504.</summary>
    ServerError,

    /// <summary>The endpoint answered 502, 503 or 504.</summary>
    GatewayError,

    /// <summary>No response: the connection could not be made or was reset, and the request may have reached the endpoint.</summary>
    ConnectionFailure,

    /// <summary>No response within the request's timeout.</summary>
    Timeout,

    /// <summary>
    /// The caller cancelled the request, or another attempt of it answered first (a hedge). Not a failure of the endpoint:
    /// it updates no health. Through <see cref="EndpointLease.Complete"/> it records nothing but the end; the HTTP
    /// handler's cancelled attempts also raise the latency average to their elapsed time (the answer would have taken at
    /// least that long).
    /// </summary>
    Canceled,

    /// <summary>
    /// The request provably never reached the endpoint: the connection was refused, the name did not resolve, or the TLS
    /// handshake with the endpoint failed. A failure of the endpoint, counted as a connection failure by outlier
    /// detection; since nothing was delivered, it is safe to send elsewhere whatever the method (a requeue).
    /// </summary>
    Unreachable,
}
