namespace Loadstone;

/// <summary>
/// Active health checks: each endpoint is probed with an HTTP GET on a timer, like an ALB target group's health check.
/// Probes of one endpoint never overlap; they start when the pool is first used (or at once with
/// <see cref="StartEagerly"/>) and stop when it is disposed.
/// </summary>
public sealed class ActiveHealthCheckOptions
{
    /// <summary>The default <see cref="Interval"/>: 10 s (an ALB's is 30 s; a client wants to learn sooner).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="Timeout"/>: 5 s, as an ALB.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The User-Agent header probes carry, so backends can tell them from traffic.</summary>
    public const string UserAgent = "Loadstone-HealthCheck/1.0";

    /// <summary>Whether endpoints are probed. The default is <see langword="false"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>The path probed, with an optional query. The default is <c>/</c>, as an ALB.</summary>
    public string Path { get; set; } = "/";

    /// <summary>
    /// The port probed instead of the endpoint's own (ALB's port override), 1 to 65535; <see langword="null"/>
    /// (the default) probes the traffic port.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>The time between the end of one probe of an endpoint and the start of the next. The default is 10 s; the range is 1 s to 300 s.</summary>
    public TimeSpan Interval { get; set; } = DefaultInterval;

    /// <summary>How long a probe may take before it counts as failed. The default is 5 s; the range is 100 ms to 120 s, and less than <see cref="Interval"/>.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>
    /// Consecutive passing probes that make an unhealthy endpoint healthy again, 1 to 10. The default is 2 (an ALB's is 5).
    /// A new endpoint becomes healthy on its first passing probe, as in Envoy, so new instances take traffic quickly.
    /// </summary>
    public int HealthyThreshold { get; set; } = 2;

    /// <summary>Consecutive failing probes that make an endpoint unhealthy, 1 to 10. The default is 2, as an ALB.</summary>
    public int UnhealthyThreshold { get; set; } = 2;

    /// <summary>
    /// The status codes that pass: a list of codes and ranges such as <c>200</c>, <c>200,202</c> or <c>200-299</c>, as an
    /// ALB's matcher. The default is <c>200</c>.
    /// </summary>
    public string Matcher { get; set; } = "200";

    /// <summary>
    /// A random share of <see cref="Interval"/> added to or taken from each wait, 0 to 0.5, so that many clients do not
    /// probe in step. The default is 0.1 (±10 %).
    /// </summary>
    public double Jitter { get; set; } = 0.1;

    /// <summary>
    /// Start probing when the pool is created instead of on its first use. The default is <see langword="false"/>.
    /// </summary>
    public bool StartEagerly { get; set; }
}
