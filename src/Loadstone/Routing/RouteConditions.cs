using System.Net.Http.Headers;
using System.Runtime.CompilerServices;

namespace Loadstone;

/// <summary>
/// The parts of a request rules look at, sliced from its URI string without allocating. Header values are read
/// once per request, on the first header condition, in one pass over the request's headers for every header name
/// the rules use (up to <see cref="CachedHeaders"/>; further names are looked up one by one).
/// </summary>
internal ref struct RouteRequest
{
    public const int CachedHeaders = 8;

    private readonly string[] _headerNames;
    private HeaderValuesBuffer _headerValues;
    private uint _headersPresent;
    private bool _headersRead;

    /// <param name="request">The request.</param>
    /// <param name="needsHost">Whether any rule looks at the host; reading the Host header is skipped otherwise.</param>
    /// <param name="headerNames">The distinct header names the rules use; a condition refers to its name by index.</param>
    public RouteRequest(HttpRequestMessage request, bool needsHost, string[] headerNames)
    {
        Request = request;
        _headerNames = headerNames;
        var text = (request.RequestUri?.OriginalString ?? string.Empty).AsSpan();
        var rest = text;
        ReadOnlySpan<char> authority = default;
        var colon = text.IndexOf(':');
        if (colon > 0 && text[(colon + 1)..].StartsWith("//"))
        {
            rest = text[(colon + 3)..];
            var end = rest.IndexOfAny('/', '?', '#');
            authority = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[end..];
        }

        // The path ends at the first '?' or '#'; the query, if any, at the next '#'.
        var stop = rest.IndexOfAny('?', '#');
        Path = stop < 0 ? rest : rest[..stop];
        if (Path.IsEmpty)
        {
            Path = "/";
        }

        if (stop >= 0 && rest[stop] == '?')
        {
            var query = rest[(stop + 1)..];
            var hash = query.IndexOf('#');
            Query = hash < 0 ? query : query[..hash];
        }

        Host = needsHost ? HostOf(request.Headers.Host is { } header ? header.AsSpan() : authority) : default;
    }

    public readonly HttpRequestMessage Request { get; }

    /// <summary>The host without port or user information.</summary>
    public readonly ReadOnlySpan<char> Host { get; }

    /// <summary>The path as written; "/" when empty.</summary>
    public readonly ReadOnlySpan<char> Path { get; }

    /// <summary>The query as written, without '?'.</summary>
    public readonly ReadOnlySpan<char> Query { get; }

    /// <summary>The values of the header with index <paramref name="nameIndex"/> in the rules' header names.</summary>
    public bool TryGetHeader(int nameIndex, out HeaderStringValues values)
    {
        if (nameIndex >= CachedHeaders)
        {
            return TryGetHeader(Request, _headerNames[nameIndex], out values);
        }

        if (!_headersRead)
        {
            ReadHeaders(Request.Headers);
            if (Request.Content is { } content)
            {
                ReadHeaders(content.Headers);
            }

            _headersRead = true;
        }

        values = _headerValues[nameIndex];
        return (_headersPresent & (1u << nameIndex)) != 0;
    }

    private static bool TryGetHeader(HttpRequestMessage request, string name, out HeaderStringValues values) =>
        request.Headers.NonValidated.TryGetValues(name, out values)
        || (request.Content is { } content && content.Headers.NonValidated.TryGetValues(name, out values));

    private void ReadHeaders(HttpHeaders headers)
    {
        var names = _headerNames;
        var cached = Math.Min(names.Length, CachedHeaders);
        foreach (var header in headers.NonValidated)
        {
            for (var i = 0; i < cached; i++)
            {
                if ((_headersPresent & (1u << i)) == 0 && string.Equals(header.Key, names[i], StringComparison.OrdinalIgnoreCase))
                {
                    _headerValues[i] = header.Value;
                    _headersPresent |= 1u << i;
                    break;
                }
            }
        }
    }

    private static ReadOnlySpan<char> HostOf(ReadOnlySpan<char> authority)
    {
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            authority = authority[(at + 1)..];
        }

        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close < 0 ? authority : authority[..(close + 1)];
        }

        var colon = authority.IndexOf(':');
        return colon < 0 ? authority : authority[..colon];
    }
}

/// <summary>One compiled condition of a rule.</summary>
internal abstract class RouteCondition
{
    public abstract bool Matches(ref RouteRequest request);

    protected static bool Any(WildcardPattern[] patterns, ReadOnlySpan<char> text)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(text))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class MethodCondition(string[] methods) : RouteCondition
{
    public override bool Matches(ref RouteRequest request)
    {
        var method = request.Request.Method.Method;
        foreach (var m in methods)
        {
            if (string.Equals(m, method, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class HostCondition(WildcardPattern[] patterns) : RouteCondition
{
    public override bool Matches(ref RouteRequest request) => Any(patterns, request.Host);
}

internal sealed class PathCondition(WildcardPattern[] patterns) : RouteCondition
{
    public override bool Matches(ref RouteRequest request) => Any(patterns, request.Path);
}

internal sealed class HeaderCondition(int nameIndex, WildcardPattern[] patterns) : RouteCondition
{
    public override bool Matches(ref RouteRequest request) =>
        request.TryGetHeader(nameIndex, out var values) && AnyValue(values);

    private bool AnyValue(HeaderStringValues values)
    {
        foreach (var value in values)
        {
            if (Any(patterns, value))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class QueryCondition(WildcardPattern? key, WildcardPattern[] values) : RouteCondition
{
    public override bool Matches(ref RouteRequest request)
    {
        var query = request.Query;
        while (!query.IsEmpty)
        {
            var end = query.IndexOf('&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? default : query[(end + 1)..];
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? default : pair[(eq + 1)..];
            if ((key is null || key.IsMatch(name)) && Any(values, value))
            {
                return true;
            }
        }

        return false;
    }
}

[InlineArray(RouteRequest.CachedHeaders)]
internal struct HeaderValuesBuffer
{
    private HeaderStringValues _element;
}
