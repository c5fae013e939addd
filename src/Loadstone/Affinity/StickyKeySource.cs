namespace Loadstone;

/// <summary>Where a request's sticky key comes from.</summary>
public enum StickyKeySource
{
    /// <summary>Sticky sessions are off: every request is balanced by the strategy. The default.</summary>
    None,

    /// <summary>The first value of the request header named <see cref="StickySessionOptions.KeyName"/>.</summary>
    Header,

    /// <summary>
    /// The cookie named <see cref="StickySessionOptions.KeyName"/> in the request's <c>Cookie</c> header, as the
    /// caller set it (cookies a <c>CookieContainer</c> adds further down the handler chain are not seen).
    /// </summary>
    Cookie,

    /// <summary>The first query parameter named <see cref="StickySessionOptions.KeyName"/> (exact name; the value as written, still escaped).</summary>
    QueryParameter,

    /// <summary>
    /// A per-request value: <c>request.Options.Set(new HttpRequestOptionsKey&lt;string&gt;(KeyName), key)</c>.
    /// For keys that are not on the wire, such as a user or tenant id known to the caller.
    /// </summary>
    RequestOption,

    /// <summary>The result of a function set in code with <see cref="StickySessionOptions.KeyFrom"/>.</summary>
    Selector,
}
