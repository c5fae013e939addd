namespace Loadstone;

/// <summary>A header condition: the header named <see cref="Name"/> has a value matching one of <see cref="Values"/>.</summary>
public sealed class HeaderMatch
{
    /// <summary>The header name, case-insensitive, no wildcards. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Value patterns, case-insensitive, with wildcards; at least one. Any value of the header may match.</summary>
    public IList<string> Values { get; } = [];
}
