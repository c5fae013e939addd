namespace Loadstone;

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
