namespace Loadstone;

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
