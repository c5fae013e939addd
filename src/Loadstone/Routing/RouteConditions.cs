namespace Loadstone;

/// <summary>The parts of a request rules look at, sliced from its URI string without allocating.</summary>
internal readonly ref struct RouteRequest
{
    /// <param name="request">The request.</param>
    /// <param name="needsHost">Whether any rule looks at the host; reading the Host header is skipped otherwise.</param>
    public RouteRequest(HttpRequestMessage request, bool needsHost)
    {
        Request = request;
        var uri = request.RequestUri?.OriginalString ?? string.Empty;
        var text = uri.AsSpan();
        var rest = text;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        ReadOnlySpan<char> authority = default;
        if (scheme > 0)
        {
            rest = text[(scheme + 3)..];
            var end = rest.IndexOfAny('/', '?', '#');
            authority = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[end..];
        }

        var hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            rest = rest[..hash];
        }

        var question = rest.IndexOf('?');
        Path = question < 0 ? rest : rest[..question];
        if (Path.IsEmpty)
        {
            Path = "/";
        }

        Query = question < 0 ? default : rest[(question + 1)..];
        Host = needsHost ? HostOf(request.Headers.Host is { } header ? header.AsSpan() : authority) : default;
    }

    public HttpRequestMessage Request { get; }

    /// <summary>The host without port or user information.</summary>
    public ReadOnlySpan<char> Host { get; }

    /// <summary>The path as written; "/" when empty.</summary>
    public ReadOnlySpan<char> Path { get; }

    /// <summary>The query as written, without '?'.</summary>
    public ReadOnlySpan<char> Query { get; }

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
    public abstract bool Matches(in RouteRequest request);

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
    public override bool Matches(in RouteRequest request)
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
    public override bool Matches(in RouteRequest request) => Any(patterns, request.Host);
}

internal sealed class PathCondition(WildcardPattern[] patterns) : RouteCondition
{
    public override bool Matches(in RouteRequest request) => Any(patterns, request.Path);
}

internal sealed class HeaderCondition(string name, WildcardPattern[] patterns) : RouteCondition
{
    public override bool Matches(in RouteRequest request)
    {
        var message = request.Request;
        if (message.Headers.NonValidated.TryGetValues(name, out var values) && AnyValue(values))
        {
            return true;
        }

        return message.Content is { } content && content.Headers.NonValidated.TryGetValues(name, out values) && AnyValue(values);
    }

    private bool AnyValue(System.Net.Http.Headers.HeaderStringValues values)
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
    public override bool Matches(in RouteRequest request)
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
