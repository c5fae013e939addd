namespace Loadstone;

/// <summary>
/// Passive health checks: outlier detection from the outcomes of real requests, as Envoy's. An outlier is ejected for
/// a time that grows with each ejection; at most <see cref="MaxEjectionPercent"/> of the pool is ejected at once (but
/// always at least one endpoint may be), except endpoints that refuse connections, which are ejected as long as the
/// fail-open threshold keeps enough endpoints routable. A passing active probe ends an ejection early.
/// </summary>
public sealed class OutlierDetectionOptions
{
    /// <summary>The default of <see cref="SuccessRateStdevFactor"/>: 1.9, as Envoy's <c>success_rate_stdev_factor</c> of 1900 (÷ 1000).</summary>
    public const double DefaultSuccessRateStdevFactor = 1.9;

    /// <summary>The default of <see cref="MaxRetryAfter"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryAfter = TimeSpan.FromSeconds(30);

    /// <summary>Whether outlier detection runs. The default is <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Consecutive 5xx responses (502–504 included) that eject an endpoint, 1 to 1000; 0 disables the rule. The default is
    /// 5, as Envoy. Unless <see cref="SplitLocalFailures"/> is set, failures without a response count too.
    /// </summary>
    public int ConsecutiveServerErrors { get; set; } = 5;

    /// <summary>
    /// Consecutive 502, 503 or 504 responses that eject an endpoint, 1 to 1000; 0 disables the rule. The default is 5, as
    /// Envoy (which does not enforce it by default; this library does). Unless <see cref="SplitLocalFailures"/> is set,
    /// failures without a response count too (Envoy maps a connection failure to 503 and a timeout to 504).
    /// </summary>
    public int ConsecutiveGatewayErrors { get; set; } = 5;

    /// <summary>
    /// Consecutive failures without a response (refused, reset, timed out) that eject an endpoint, 1 to 1000; 0 disables
    /// the rule. The default is 5, as Envoy's <c>consecutive_local_origin_failure</c>. Used only with
    /// <see cref="SplitLocalFailures"/>, as in Envoy.
    /// </summary>
    public int ConsecutiveLocalFailures { get; set; } = 5;

    /// <summary>
    /// Whether failures without a response (local failures) are counted apart from responses, as Envoy's
    /// <c>split_external_local_origin_errors</c>. The default is <see langword="false"/>, as Envoy: a local failure counts
    /// as a gateway error toward <see cref="ConsecutiveServerErrors"/> and <see cref="ConsecutiveGatewayErrors"/>, so an
    /// endpoint that alternates refused connections and 500s is ejected. When <see langword="true"/>, local failures count
    /// only toward <see cref="ConsecutiveLocalFailures"/>, responses only toward the other two.
    /// </summary>
    public bool SplitLocalFailures { get; set; }

    /// <summary>The window of the rate rules, and how often ejection backoff decays. The default is 10 s, as Envoy; the range is 1 s to 300 s.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The share of failed requests within one <see cref="Interval"/> that ejects an endpoint, 0 to 1; 0 disables the rule.
    /// The default is 0.85, as Envoy's failure-percentage threshold (which Envoy does not enforce by default; this library does).
    /// </summary>
    public double FailureRateThreshold { get; set; } = 0.85;

    /// <summary>The requests an endpoint must complete within one <see cref="Interval"/> for the failure-rate rule to judge it, 1 or more. The default is 50, as Envoy.</summary>
    public int FailureRateMinimumRequests { get; set; } = 50;

    /// <summary>
    /// How many endpoints must have <see cref="FailureRateMinimumRequests"/> within an interval for the failure-rate rule to
    /// judge any of them, 0 to 10,000. The default is 5, as Envoy's <c>failure_percentage_minimum_hosts</c>.
    /// </summary>
    public int FailureRateMinimumHosts { get; set; } = 5;

    /// <summary>
    /// Envoy's success-rate rule: each <see cref="Interval"/>, an endpoint whose success rate is below the mean of the
    /// judged endpoints minus this many standard deviations is ejected. 0 disables the rule; otherwise 0.1 to 10. The
    /// default is 1.9, as Envoy's <c>success_rate_stdev_factor</c> (1900).
    /// </summary>
    public double SuccessRateStdevFactor { get; set; } = DefaultSuccessRateStdevFactor;

    /// <summary>The requests an endpoint must complete within one <see cref="Interval"/> to be judged by the success-rate rule, 1 or more. The default is 100, as Envoy.</summary>
    public int SuccessRateMinimumRequests { get; set; } = 100;

    /// <summary>How many endpoints must be judged for the success-rate rule to run, 1 to 10,000. The default is 5, as Envoy.</summary>
    public int SuccessRateMinimumHosts { get; set; } = 5;

    /// <summary>
    /// The chance, in percent, that a detected outlier is actually ejected, 0 to 100, as Envoy's <c>enforcing_*</c>
    /// settings (one for every rule here). The default is 100. With 0, outliers are detected and reported (log
    /// <c>OutlierDetected</c>, the <c>loadstone.endpoint.outliers</c> metric, the status view) but keep their traffic.
    /// </summary>
    public int EnforcingPercent { get; set; } = 100;

    /// <summary>The first ejection's length; the n-th lasts n times this, up to <see cref="MaxEjectionTime"/>. The default is 30 s, as Envoy; the range is 1 s to 1 h.</summary>
    public TimeSpan BaseEjectionTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest an ejection lasts. The default is 300 s, as Envoy; at least <see cref="BaseEjectionTime"/>, at most 1 h.
    /// As in Envoy, the ejection multiplier stops growing at <c>MaxEjectionTime ÷ BaseEjectionTime + 1</c>.
    /// </summary>
    public TimeSpan MaxEjectionTime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The most of the pool that may be ejected at once, 0 to 100 percent; one endpoint may always be ejected. The default
    /// is 10, as Envoy. Endpoints that refuse connections (nothing reached them) are ejected beyond this while the pool's
    /// fail-open thresholds stay met.
    /// </summary>
    public int MaxEjectionPercent { get; set; } = 10;

    /// <summary>
    /// The longest a 429 or 503 response's <c>Retry-After</c> keeps its endpoint out of picks, 0 to 1 h; 0 ignores
    /// <c>Retry-After</c>. The default is 30 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = DefaultMaxRetryAfter;

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    internal List<string> Validate(string service)
    {
        var problems = new List<string>();
        var check = new OptionChecks(problems, service, $"LoadBalancing:Services:{service}", "HealthChecks:Passive:");
        check.Range(nameof(ConsecutiveServerErrors), ConsecutiveServerErrors, 0, 1000);
        check.Range(nameof(ConsecutiveGatewayErrors), ConsecutiveGatewayErrors, 0, 1000);
        check.Range(nameof(ConsecutiveLocalFailures), ConsecutiveLocalFailures, 0, 1000);
        check.Range(nameof(Interval), Interval, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
        check.Range(nameof(FailureRateThreshold), FailureRateThreshold, 0, 1);
        check.Range(nameof(FailureRateMinimumRequests), FailureRateMinimumRequests, 1, int.MaxValue);
        check.Range(nameof(FailureRateMinimumHosts), FailureRateMinimumHosts, 0, 10_000);
        if (SuccessRateStdevFactor != 0)
        {
            check.Range(nameof(SuccessRateStdevFactor), SuccessRateStdevFactor, 0.1, 10, " (or 0 for off)");
        }

        check.Range(nameof(SuccessRateMinimumRequests), SuccessRateMinimumRequests, 1, int.MaxValue);
        check.Range(nameof(SuccessRateMinimumHosts), SuccessRateMinimumHosts, 1, 10_000);
        check.Range(nameof(EnforcingPercent), EnforcingPercent, 0, 100);
        check.Range(nameof(BaseEjectionTime), BaseEjectionTime, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        check.Range(nameof(MaxEjectionTime), MaxEjectionTime, BaseEjectionTime, TimeSpan.FromHours(1), " (at least BaseEjectionTime)");
        check.Range(nameof(MaxEjectionPercent), MaxEjectionPercent, 0, 100);
        check.Range(nameof(MaxRetryAfter), MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromHours(1));
        return problems;
    }
}

/// <summary>Range checks that word every problem alike: the service, the setting, its configuration key, the range.</summary>
internal readonly struct OptionChecks(List<string> problems, string service, string key, string prefix)
{
    public void Range<T>(string setting, T value, T min, T max, string note = "")
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            problems.Add($"Service '{service}': {prefix}{setting} ({key}:{prefix}{setting}) is {value}; it must be between {min} and {max}{note}.");
        }
    }
}
