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

    /// <summary>No response: the connection could not be made or was reset.</summary>
    ConnectionFailure,

    /// <summary>No response within the request's timeout.</summary>
    Timeout,

    /// <summary>The caller cancelled the request. Not a failure of the endpoint: it updates no health or latency.</summary>
    Canceled,
}
