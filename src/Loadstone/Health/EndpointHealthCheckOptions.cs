namespace Loadstone;

/// <summary>How a pool decides which endpoints are healthy: active probes, passive outlier detection, and fail-open.</summary>
public sealed class EndpointHealthCheckOptions
{
    /// <summary>Active health checks (probes). Disabled by default.</summary>
    public ActiveHealthCheckOptions Active { get; set; } = new();

    /// <summary>Passive health checks (outlier detection) from real traffic. Enabled by default.</summary>
    public OutlierDetectionOptions Passive { get; set; } = new();

    /// <summary>What happens when too few endpoints are healthy. Fails open when none is, by default.</summary>
    public FailOpenOptions FailOpen { get; set; } = new();
}

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

/// <summary>
/// Passive health checks: outlier detection from the outcomes of real requests, as Envoy's. An outlier is ejected for
/// a time that grows with each ejection; at most <see cref="MaxEjectionPercent"/> of the pool is ejected at once (but
/// always at least one endpoint may be). A passing active probe ends an ejection early.
/// </summary>
public sealed class OutlierDetectionOptions
{
    /// <summary>Whether outlier detection runs. The default is <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Consecutive 5xx responses (502–504 included) that eject an endpoint, 1 to 1000; 0 disables the rule. The default is 5, as Envoy.</summary>
    public int ConsecutiveServerErrors { get; set; } = 5;

    /// <summary>Consecutive 502, 503 or 504 responses that eject an endpoint, 1 to 1000; 0 disables the rule. The default is 5, as Envoy (which does not enforce it by default; this library does).</summary>
    public int ConsecutiveGatewayErrors { get; set; } = 5;

    /// <summary>Consecutive connection failures or timeouts (no response at all) that eject an endpoint, 1 to 1000; 0 disables the rule. The default is 5, as Envoy.</summary>
    public int ConsecutiveLocalFailures { get; set; } = 5;

    /// <summary>The window of the failure-rate rule, and how often ejection backoff decays. The default is 10 s, as Envoy; the range is 1 s to 300 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The share of failed requests within one <see cref="Interval"/> that ejects an endpoint, 0 to 1; 0 disables the rule.
    /// The default is 0.85, as Envoy's failure-percentage threshold (which Envoy does not enforce by default; this library does).
    /// </summary>
    public double FailureRateThreshold { get; set; } = 0.85;

    /// <summary>The requests an endpoint must complete within one <see cref="Interval"/> for the failure-rate rule to judge it, 1 or more. The default is 50, as Envoy.</summary>
    public int FailureRateMinimumRequests { get; set; } = 50;

    /// <summary>The first ejection's length; the n-th lasts n times this, up to <see cref="MaxEjectionTime"/>. The default is 30 s, as Envoy; the range is 1 s to 1 h.</summary>
    public TimeSpan BaseEjectionTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest an ejection lasts. The default is 300 s, as Envoy; at least <see cref="BaseEjectionTime"/>, at most 1 h.</summary>
    public TimeSpan MaxEjectionTime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The most of the pool that may be ejected at once, 0 to 100 percent; one endpoint may always be ejected. The default is 10, as Envoy.</summary>
    public int MaxEjectionPercent { get; set; } = 10;
}

/// <summary>
/// Fail-open: when too few endpoints are healthy, route to all of them (except draining ones) as if healthy, like an
/// ALB target group when every target is unhealthy, or Envoy's panic threshold. Either threshold breached triggers it.
/// </summary>
public sealed class FailOpenOptions
{
    /// <summary>Whether the pool fails open. The default is <see langword="true"/>; when off, a pool with no healthy endpoint fails requests.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Fail open when fewer endpoints than this are healthy, 1 or more. The default is 1 (only when none is), as an ALB.</summary>
    public int MinimumHealthyCount { get; set; } = 1;

    /// <summary>Fail open when fewer than this percentage of endpoints are healthy, 0 to 100; 0 (the default) turns the rule off. Envoy's panic threshold is 50.</summary>
    public int MinimumHealthyPercent { get; set; }
}

/// <summary>
/// Slow start: a newly healthy endpoint's share of traffic ramps up over a window instead of jumping to full, as an ALB
/// target group's slow start. Its weight is multiplied by max(<see cref="MinimumWeightPercent"/>/100, (t/window)^(1/<see cref="Aggression"/>)).
/// An endpoint enters slow start when it becomes healthy only if another healthy endpoint is not in slow start (so
/// endpoints that start together do not), and leaves it when the window ends or it becomes unhealthy.
/// </summary>
/// <remarks>
/// Strategies that use weights or load (Random, WeightedRoundRobin, LeastRequests, PowerOfTwoChoices, PeakEwma) honour the ramp.
/// RoundRobin and FirstAvailable ignore weights and so ignore the ramp.
/// </remarks>
public sealed class SlowStartOptions
{
    /// <summary>The ramp's length. The default is <see cref="TimeSpan.Zero"/>: off, as an ALB; otherwise 30 s to 900 s.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>The share an endpoint starts with, 1 to 100 percent. The default is 10, as Envoy.</summary>
    public int MinimumWeightPercent { get; set; } = 10;

    /// <summary>The ramp's curve: 1 (the default) is linear; larger values ramp faster at first. The range is 0.1 to 10.</summary>
    public double Aggression { get; set; } = 1.0;
}
