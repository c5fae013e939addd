using System.Net.Http.Headers;

namespace Loadstone;

/// <summary>
/// Reads a request's sticky key from where <see cref="StickySessionOptions"/> says and hashes it at once; the raw
/// key never leaves this method. Allocation-free for headers, cookies, query parameters and request options.
/// </summary>
internal sealed class StickyKeyExtractor
{
    private readonly StickyKeySource _source;
    private readonly string _name;
    private readonly Func<HttpRequestMessage, string?>? _selector;

    public StickyKeyExtractor(StickySessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _source = options.KeySource;
        _name = options.KeyName ?? string.Empty;
        _selector = options.KeySelector;
    }

    /// <summary>Whether <paramref name="other"/> reads the same key from a request, so its hash can be reused.</summary>
    public bool ReadsSameKey(StickyKeyExtractor other) =>
        ReferenceEquals(this, other)
        || (_source == other._source && string.Equals(_name, other._name, StringComparison.Ordinal) && _selector == other._selector);

    /// <summary>The 64-bit hash of the request's key; <see langword="false"/> when it has none (or an empty one).</summary>
    public bool TryGetKeyHash(HttpRequestMessage request, out ulong keyHash)
    {
        var key = _source switch
        {
            StickyKeySource.Header => FromHeader(request, _name),
            StickyKeySource.Cookie => FromCookie(request, _name),
            StickyKeySource.QueryParameter => FromQuery(request.RequestUri, _name),
            StickyKeySource.RequestOption => request.Options.TryGetValue(new HttpRequestOptionsKey<string>(_name), out var value) ? value.AsSpan() : default,
            StickyKeySource.Selector => _selector!(request).AsSpan(),
            _ => default,
        };

        if (key.IsEmpty)
        {
            keyHash = 0;
            return false;
        }

        keyHash = StableHash.Hash(key);
        return true;
    }

    private static ReadOnlySpan<char> FromHeader(HttpRequestMessage request, string name)
    {
        if (TryFirst(request.Headers, name, out var value))
        {
            return value;
        }

        return request.Content is { } content && TryFirst(content.Headers, name, out value) ? value : default;
    }

    private static bool TryFirst(HttpHeaders headers, string name, out ReadOnlySpan<char> value)
    {
        if (headers.NonValidated.TryGetValues(name, out var values))
        {
            foreach (var v in values)
            {
                value = v.AsSpan().Trim();
                return true;
            }
        }

        value = default;
        return false;
    }

    // Cookie: a=1; b=2 (RFC 6265 §5.4); several Cookie headers are searched in order.
    private static ReadOnlySpan<char> FromCookie(HttpRequestMessage request, string name)
    {
        if (!request.Headers.NonValidated.TryGetValues("Cookie", out var values))
        {
            return default;
        }

        foreach (var header in values)
        {
            var rest = header.AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf(';');
                var pair = (end < 0 ? rest : rest[..end]).Trim();
                rest = end < 0 ? default : rest[(end + 1)..];
                var eq = pair.IndexOf('=');
                if (eq > 0 && pair[..eq].Trim().SequenceEqual(name))
                {
                    var value = pair[(eq + 1)..].Trim();
                    return value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
                }
            }
        }

        return default;
    }

    private static ReadOnlySpan<char> FromQuery(Uri? uri, string name)
    {
        if (uri is null)
        {
            return default;
        }

        var text = uri.OriginalString.AsSpan();
        var question = text.IndexOf('?');
        if (question < 0)
        {
            return default;
        }

        var query = text[(question + 1)..];
        var hash = query.IndexOf('#');
        if (hash >= 0)
        {
            query = query[..hash];
        }

        while (!query.IsEmpty)
        {
            var end = query.IndexOf('&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? default : query[(end + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (key.SequenceEqual(name))
            {
                return eq < 0 ? default : pair[(eq + 1)..];
            }
        }

        return default;
    }
}
