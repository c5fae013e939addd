namespace Loadstone;

/// <summary>
/// A compiled ALB-style pattern: <c>*</c> matches any run of characters (also none), <c>?</c> exactly one. Patterns
/// of the common shapes (exact, <c>prefix*</c>, <c>*suffix</c>, <c>*part*</c>, <c>*</c>) become one span comparison;
/// the rest use a linear-time-in-practice matcher that backtracks only to the last <c>*</c>.
/// </summary>
internal sealed class WildcardPattern
{
    private readonly Shape _shape;
    private readonly string _literal;
    private readonly bool _ignoreCase;

    public WildcardPattern(string pattern, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        _ignoreCase = ignoreCase;
        var inner = pattern.AsSpan();
        var leading = inner.StartsWith('*');
        var trailing = inner.Length > 1 && inner.EndsWith('*');
        var core = inner[(leading ? 1 : 0)..(inner.Length - (trailing ? 1 : 0))];
        if (pattern == "*")
        {
            _shape = Shape.Any;
            _literal = string.Empty;
        }
        else if (core.IndexOfAny('*', '?') >= 0)
        {
            _shape = Shape.General;
            _literal = pattern;
        }
        else
        {
            _literal = core.ToString();
            _shape = (leading, trailing) switch
            {
                (false, false) => Shape.Exact,
                (false, true) => Shape.Prefix,
                (true, false) => Shape.Suffix,
                _ => Shape.Contains,
            };
        }
    }

    public string Pattern { get; }

    private enum Shape
    {
        Exact,
        Prefix,
        Suffix,
        Contains,
        Any,
        General,
    }

    public bool IsMatch(ReadOnlySpan<char> text)
    {
        // Case-sensitive shapes take the plain span overloads, which skip the comparison-type dispatch.
        if (!_ignoreCase)
        {
            return _shape switch
            {
                Shape.Exact => text.SequenceEqual(_literal),
                Shape.Prefix => text.StartsWith(_literal),
                Shape.Suffix => text.EndsWith(_literal),
                Shape.Contains => text.IndexOf(_literal) >= 0,
                Shape.Any => true,
                _ => GeneralMatch(_literal, text, ignoreCase: false),
            };
        }

        return _shape switch
        {
            Shape.Exact => text.Length == _literal.Length && text.Equals(_literal, StringComparison.OrdinalIgnoreCase),
            Shape.Prefix => text.Length >= _literal.Length && text.StartsWith(_literal, StringComparison.OrdinalIgnoreCase),
            Shape.Suffix => text.Length >= _literal.Length && text.EndsWith(_literal, StringComparison.OrdinalIgnoreCase),
            Shape.Contains => text.Length >= _literal.Length && text.Contains(_literal, StringComparison.OrdinalIgnoreCase),
            Shape.Any => true,
            _ => GeneralMatch(_literal, text, ignoreCase: true),
        };
    }

    private static bool GeneralMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
