namespace Loadstone;

/// <summary>
/// A routing rule of a logical service, like an ALB listener rule: when every condition of <see cref="Match"/> holds,
/// the request goes where <see cref="Forward"/> says. Rules are evaluated by <see cref="Priority"/>, lowest first;
/// a request no rule matches goes to the service's own pool (the default rule). Configure in code or as an array
/// under <c>LoadBalancing:Services:{service}:Routes</c>; changes apply from the next request.
/// </summary>
public sealed class RoutingRule
{
    /// <summary>The lowest (first evaluated) <see cref="Priority"/>: 1.</summary>
    public const int MinPriority = 1;

    /// <summary>The highest (last evaluated) <see cref="Priority"/>: 50,000.</summary>
    public const int MaxPriority = 50_000;

    /// <summary>A name for logs, messages and the rule-match metric; optional, unique within a service.</summary>
    public string? Name { get; set; }

    /// <summary>The evaluation order, 1 to 50,000, lowest first; unique within a service. Required.</summary>
    public int Priority { get; set; }

    /// <summary>The conditions; all must hold (AND). A rule without conditions matches every request.</summary>
    public RouteMatch Match { get; } = new();

    /// <summary>Where matching requests go.</summary>
    public RouteForward Forward { get; } = new();
}

/// <summary>
/// The conditions of a <see cref="RoutingRule"/>, with ALB listener-rule semantics: the values of one condition are
/// alternatives (OR); separate conditions must all hold (AND). <c>*</c> matches any run of characters (also none),
/// <c>?</c> exactly one.
/// </summary>
public sealed class RouteMatch
{
    /// <summary>
    /// Host patterns, case-insensitive, with wildcards, e.g. <c>*.example.com</c>. Matched against the request's
    /// <c>Host</c> header when the caller set one, else the host of its URI (the logical service name); never the port.
    /// A pattern holds letters, digits, <c>-</c>, <c>.</c>, <c>_</c> and wildcards (or an IP literal in brackets).
    /// </summary>
    public IList<string> Hosts { get; } = [];

    /// <summary>
    /// Path patterns, case-sensitive, with wildcards, e.g. <c>/api/*</c>. Matched against the path only (no query), as
    /// written in the request URI. A pattern starts with <c>/</c> (or a wildcard).
    /// </summary>
    public IList<string> Paths { get; } = [];

    /// <summary>HTTP methods, exact and case-sensitive, e.g. <c>GET</c>; no wildcards, and no lower-case letters.</summary>
    public IList<string> Methods { get; } = [];

    /// <summary>Header conditions; each is a separate condition (AND).</summary>
    public IList<HeaderMatch> Headers { get; } = [];

    /// <summary>Query-string conditions; each is a separate condition (AND).</summary>
    public IList<QueryMatch> Query { get; } = [];
}

/// <summary>A header condition: the header named <see cref="Name"/> has a value matching one of <see cref="Values"/>.</summary>
public sealed class HeaderMatch
{
    /// <summary>The header name, case-insensitive, no wildcards. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Value patterns, case-insensitive, with wildcards; at least one. Any value of the header may match.</summary>
    public IList<string> Values { get; } = [];
}

/// <summary>
/// A query-string condition: a parameter named <see cref="Key"/> (any parameter when <see langword="null"/>) has a
/// value matching one of <see cref="Values"/>. Key and values are case-insensitive and may use wildcards; they are
/// compared with the query as written (still percent-encoded).
/// </summary>
public sealed class QueryMatch
{
    /// <summary>The parameter name pattern, or <see langword="null"/> for any parameter.</summary>
    public string? Key { get; set; }

    /// <summary>Value patterns; at least one.</summary>
    public IList<string> Values { get; } = [];
}

/// <summary>
/// Where a rule sends requests: to one pool (<see cref="Pool"/>), or split by weight over up to five
/// (<see cref="Pools"/>), like an ALB forward action with weighted target groups (canary, blue/green).
/// </summary>
public sealed class RouteForward
{
    /// <summary>The most pools of a weighted forward: 5.</summary>
    public const int MaxPools = 5;

    /// <summary>The shortest <see cref="Stickiness"/>: 1 second.</summary>
    public static readonly TimeSpan MinStickiness = TimeSpan.FromSeconds(1);

    /// <summary>The longest <see cref="Stickiness"/>: 7 days.</summary>
    public static readonly TimeSpan MaxStickiness = TimeSpan.FromDays(7);

    /// <summary>The service whose pool takes all matching requests; set this or <see cref="Pools"/>.</summary>
    public string? Pool { get; set; }

    /// <summary>A weighted split over 1 to 5 pools; set this or <see cref="Pool"/>.</summary>
    public IList<WeightedPool> Pools { get; } = [];

    /// <summary>
    /// Group stickiness for a weighted split: a request's sticky key (from the service's sticky session key source)
    /// stays on the pool it first got for this long after its last request. The default, <see langword="null"/>, is
    /// off; the range is 1 second to 7 days. Requests without a key are split afresh each time.
    /// </summary>
    public TimeSpan? Stickiness { get; set; }
}

/// <summary>One pool of a weighted forward.</summary>
public sealed class WeightedPool
{
    /// <summary>The highest <see cref="Weight"/>: 999.</summary>
    public const int MaxWeight = 999;

    /// <summary>The service whose pool this is. Required.</summary>
    public string Pool { get; set; } = string.Empty;

    /// <summary>
    /// The relative share, 0 to 999 (0: no new requests). The default is 1. Pool weights of a forward must not all be 0.
    /// </summary>
    public int Weight { get; set; } = 1;
}
