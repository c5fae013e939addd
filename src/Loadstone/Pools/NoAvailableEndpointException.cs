namespace Loadstone;

/// <summary>
/// Thrown when a <see cref="ServicePool"/> has no endpoint to send a request to. It derives from
/// <see cref="HttpRequestException"/>, so code (and resilience pipelines) that handle HTTP failures handle it too.
/// </summary>
public sealed class NoAvailableEndpointException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="serviceName">The logical service.</param>
    /// <param name="reason">Why no endpoint could be chosen.</param>
    /// <param name="detail">An optional sentence with more detail; appended to the message.</param>
    public NoAvailableEndpointException(string serviceName, NoAvailableEndpointReason reason, string? detail = null)
        : base(BuildMessage(serviceName, reason, detail), null, null)
    {
        ServiceName = serviceName;
        Reason = reason;
    }

    /// <summary>The logical service that had no endpoint.</summary>
    public string ServiceName { get; }

    /// <summary>Why no endpoint could be chosen.</summary>
    public NoAvailableEndpointReason Reason { get; }

    private static string BuildMessage(string serviceName, NoAvailableEndpointReason reason, string? detail)
    {
        var why = reason switch
        {
            NoAvailableEndpointReason.NoEndpoints => "it has no endpoints",
            NoAvailableEndpointReason.AllWeightsZero => "every endpoint has weight 0",
            NoAvailableEndpointReason.NoMatchingEndpoint => "no endpoint matches the request",
            NoAvailableEndpointReason.AllDraining => "every endpoint is draining",
            NoAvailableEndpointReason.AllUnhealthy => "every endpoint is unhealthy and fail-open is disabled",
            _ => reason.ToString(),
        };
        return detail is null
            ? $"No endpoint of service '{serviceName}' is available: {why}."
            : $"No endpoint of service '{serviceName}' is available: {why}. {detail}";
    }
}
