namespace Loadstone;

/// <summary>Why an endpoint is in its <see cref="EndpointHealth"/> state, like an ALB target's reason code.</summary>
public enum EndpointHealthReason
{
    /// <summary>Nothing to explain: a healthy endpoint, or one whose checks are disabled and which is not ejected.</summary>
    None,

    /// <summary>Initial: the first active health check has not passed yet.</summary>
    InitialHealthChecking,

    /// <summary>Unhealthy: health checks answered with a status code the matcher does not accept.</summary>
    ResponseCodeMismatch,

    /// <summary>Unhealthy: health checks timed out.</summary>
    Timeout,

    /// <summary>Unhealthy: health checks could not connect, or the connection failed.</summary>
    ConnectionFailure,

    /// <summary>Unhealthy: ejected by outlier detection after consecutive server errors (5xx).</summary>
    EjectedConsecutiveServerErrors,

    /// <summary>Unhealthy: ejected by outlier detection after consecutive gateway errors (502, 503, 504).</summary>
    EjectedConsecutiveGatewayErrors,

    /// <summary>Unhealthy: ejected by outlier detection after consecutive connection failures or timeouts.</summary>
    EjectedConsecutiveLocalFailures,

    /// <summary>Unhealthy: ejected by outlier detection because its failure rate crossed the threshold.</summary>
    EjectedFailureRate,

    /// <summary>Draining: removed from its source; finishing in-flight requests.</summary>
    DeregistrationInProgress,

    /// <summary>Unused: removed and drained.</summary>
    NotRegistered,

    /// <summary>Unchecked: active health checks are disabled.</summary>
    HealthChecksDisabled,

    /// <summary>Unhealthy: health checks were answered, and the answer says the endpoint is not serving (a gRPC health check's NOT_SERVING).</summary>
    NotServing,

    /// <summary>Unhealthy: ejected by outlier detection because its success rate fell below the mean of its peers by more than <see cref="OutlierDetectionOptions.SuccessRateStdevFactor"/> standard deviations.</summary>
    EjectedSuccessRate,
}
