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
