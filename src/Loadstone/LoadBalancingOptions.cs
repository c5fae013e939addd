namespace Loadstone;

/// <summary>
/// The options of one logical service's <see cref="ServicePool"/>: its endpoints, the strategy that spreads
/// requests over them, and how requests are rewritten. Configure in code, or under
/// <c>LoadBalancing:Services:{service}</c> in configuration.
/// </summary>
public sealed class LoadBalancingOptions
{
    /// <summary>The default of <see cref="Strategy"/>: <see cref="LoadBalancingStrategies.PowerOfTwoChoices"/>.</summary>
    public const string DefaultStrategy = LoadBalancingStrategies.PowerOfTwoChoices;

    /// <summary>The default of <see cref="LatencyDecayTime"/>: 10 seconds, as Finagle's peak EWMA.</summary>
    public static readonly TimeSpan DefaultLatencyDecayTime = TimeSpan.FromSeconds(10);

    /// <summary>The default of <see cref="InitialLatency"/>: 30 ms, as Linkerd's default starting RTT.</summary>
    public static readonly TimeSpan DefaultInitialLatency = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The endpoints of the service: those read from configuration (<c>LoadBalancing:Services:{service}:Endpoints</c>, then
    /// the <c>Services:{service}</c> schema) followed by those added in code. Order matters to
    /// <see cref="LoadBalancingStrategies.FirstAvailable"/>; endpoints from endpoint sources come after these.
    /// </summary>
    public EndpointCollection Endpoints { get; } = [];

    /// <summary>
    /// The name of the strategy, case-insensitive: one of <see cref="LoadBalancingStrategies"/> or a name registered
    /// with <c>AddLoadBalancingStrategy</c>. The default is <see cref="DefaultStrategy"/> (PowerOfTwoChoices).
    /// </summary>
    public string Strategy { get; set; } = DefaultStrategy;

    /// <summary>
    /// When <see langword="true"/>, requests carry the logical service name (e.g. <c>catalog</c>) as their Host header.
    /// The HTTP stack then also uses it as the TLS server name (SNI) and checks the certificate against it, so
    /// HTTPS works with endpoints listed by IP address, as a client of an ALB uses the public name. A Host header
    /// the caller set is kept. The default is <see langword="false"/>: the chosen endpoint's host is used.
    /// </summary>
    public bool UseServiceNameAsHost { get; set; }

    /// <summary>
    /// When <see langword="true"/>, a request's scheme chooses among the endpoints as Microsoft.Extensions.ServiceDiscovery
    /// does: <c>http://catalog</c> uses only the http endpoints, <c>https://catalog</c> only the https ones
    /// (<c>https+http://catalog</c> prefers the first scheme listed either way). The default is <see langword="false"/>:
    /// an endpoint carries its own scheme, and a plain request reaches every unnamed endpoint whatever its scheme. When a
    /// registry reads the <c>Services</c> section itself (the Loadstone.ServiceDiscovery bridge), the default is
    /// <see langword="true"/>.
    /// </summary>
    public bool MatchRequestScheme { get; set; }

    /// <summary>
    /// How fast the latency average forgets (τ of the peak EWMA: an observation's weight falls to 1/e after this
    /// long). Used by <see cref="LoadBalancingStrategies.PeakEwma"/>. The default is 10 s; the range is 100 ms to 10 min.
    /// </summary>
    public TimeSpan LatencyDecayTime { get; set; } = DefaultLatencyDecayTime;

    /// <summary>
    /// The latency assumed for an endpoint before it has answered anything. The default is 30 ms; the range is
    /// 0 to 1 min.
    /// </summary>
    public TimeSpan InitialLatency { get; set; } = DefaultInitialLatency;

    /// <summary>Active and passive health checks and fail-open.</summary>
    public EndpointHealthCheckOptions HealthChecks { get; set; } = new();

    /// <summary>How newly healthy endpoints ramp up. Off by default.</summary>
    public SlowStartOptions SlowStart { get; set; } = new();

    /// <summary>
    /// Sticky session keys: requests carrying the same key go to the same endpoint (consistent hashing with bounded
    /// loads, then a binding that lasts <see cref="StickySessionOptions.Duration"/>). Off by default. A sticky binding wins
    /// over zone preference.
    /// </summary>
    public StickySessionOptions StickySessions { get; set; } = new();

    /// <summary>
    /// Subsetting: with many clients and many endpoints, each client talks to a subset chosen so every endpoint gets the
    /// same number of clients. Off by default; see <see cref="SubsettingOptions"/>.
    /// </summary>
    public SubsettingOptions Subsetting { get; set; } = new();

    /// <summary>Zone preference: how traffic is shared between the caller's zone and the others. Cross-zone (no preference) by default.</summary>
    public ZoneOptions Zones { get; set; } = new();

    /// <summary>
    /// Routing rules, evaluated by priority (lowest first): a request matching a rule's conditions goes to the pool (or the
    /// weighted pools) it forwards to; a request matching none goes to this service's own endpoints. Empty by default.
    /// </summary>
    public IList<RoutingRule> Routes { get; } = [];

    /// <summary>Retries on another endpoint. On by default for idempotent requests.</summary>
    public RetryOptions Retries { get; set; } = new();

    /// <summary>
    /// How long an endpoint removed from its source keeps serving its in-flight requests (draining) before it is dropped;
    /// it is dropped earlier once idle. The default is 300 s, as an ALB's deregistration delay; the range is 0 to 3600 s.
    /// </summary>
    public TimeSpan DeregistrationDelay { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Problems found while reading configuration, reported by validation with every other problem.</summary>
    internal List<string> ConfigurationProblems { get; } = [];

    /// <summary>Endpoints given in configuration or code were rejected, so "has no endpoints" would only repeat those problems.</summary>
    internal bool HasRejectedEndpoints { get; set; }
}
