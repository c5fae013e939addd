namespace Loadstone;

/// <summary>
/// Sticky sessions: requests that carry the same key go to the same endpoint. Keys map to endpoints by consistent
/// hashing (Maglev with bounded loads), and each key is bound to its endpoint for <see cref="Duration"/> after its last
/// request, like an ALB target group's duration-based stickiness. Configure in code or under
/// <c>LoadBalancing:Services:{service}:StickySessions</c>.
/// </summary>
/// <remarks>
/// Keys are hashed to 64 bits as soon as they are read; raw keys are never stored or logged. A sticky binding takes
/// precedence over zone preference and over the strategy. Requests without a key are balanced normally.
/// </remarks>
public sealed class StickySessionOptions
{
    /// <summary>The default <see cref="Duration"/>: 1 day, as an ALB's duration-based stickiness.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromDays(1);

    /// <summary>The shortest <see cref="Duration"/>: 1 second.</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);

    /// <summary>The longest <see cref="Duration"/>: 7 days.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>The default <see cref="MaxBindings"/>: 100,000 (about 10 MB).</summary>
    public const int DefaultMaxBindings = 100_000;

    /// <summary>The lowest <see cref="MaxBindings"/>: 100.</summary>
    public const int MinMaxBindings = 100;

    /// <summary>The highest <see cref="MaxBindings"/>: 10,000,000.</summary>
    public const int MaxMaxBindings = 10_000_000;

    /// <summary>The default <see cref="BoundedLoadFactor"/>: 1.25.</summary>
    public const double DefaultBoundedLoadFactor = 1.25;

    /// <summary>The highest <see cref="BoundedLoadFactor"/>: 10.</summary>
    public const double MaxBoundedLoadFactor = 10;

    /// <summary>Where the key comes from. The default is <see cref="StickyKeySource.None"/>: sticky sessions off.</summary>
    public StickyKeySource KeySource { get; set; }

    /// <summary>
    /// The header, cookie, query parameter or request option name that holds the key, for every
    /// <see cref="KeySource"/> but <see cref="StickyKeySource.Selector"/>. Header names are case-insensitive, the others exact.
    /// </summary>
    public string? KeyName { get; set; }

    /// <summary>
    /// Computes the key from the request, for <see cref="StickyKeySource.Selector"/>; set in code with
    /// <see cref="KeyFrom"/> (a function is not a setting configuration can hold).
    /// </summary>
    internal Func<HttpRequestMessage, string?>? KeySelector { get; private set; }

    /// <summary>
    /// How long a key stays bound to its endpoint after its last request; each request renews it. The default is
    /// 1 day; the range is 1 second to 7 days (as an ALB's <c>lb_cookie</c> duration).
    /// </summary>
    public TimeSpan Duration { get; set; } = DefaultDuration;

    /// <summary>What happens when a bound endpoint is unhealthy or gone. The default is <see cref="StickyFailurePolicy.Redistribute"/>.</summary>
    public StickyFailurePolicy FailurePolicy { get; set; }

    /// <summary>
    /// The most keys remembered at once. When full, expired bindings and then the least recently used are dropped
    /// (down to 90 % of the limit); a key without a binding is still mapped by consistent hashing. The default is
    /// 100,000 (roughly 100 bytes each); the range is 100 to 10,000,000.
    /// </summary>
    public int MaxBindings { get; set; } = DefaultMaxBindings;

    /// <summary>
    /// c of consistent hashing with bounded loads: no endpoint is given a new key while it holds more than
    /// ⌈c × the average⌉ keys (weighted); the key goes to its next choice instead. The default is 1.25; the range is
    /// 1 to 10, or 0 to turn bounded loads off.
    /// </summary>
    public double BoundedLoadFactor { get; set; } = DefaultBoundedLoadFactor;

    /// <summary><see langword="true"/> when a key source is set.</summary>
    public bool IsEnabled => KeySource != StickyKeySource.None;

    /// <summary>Takes the key from a request header.</summary>
    /// <param name="name">The header name, e.g. <c>X-User-Id</c>. An empty name is reported by validation, naming the service.</param>
    /// <returns>These options.</returns>
    public StickySessionOptions KeyFromHeader(string name) => Use(StickyKeySource.Header, name);

    /// <summary>Takes the key from a cookie of the request's <c>Cookie</c> header.</summary>
    /// <param name="name">The cookie name, e.g. <c>session</c>. An empty name is reported by validation, naming the service.</param>
    /// <returns>These options.</returns>
    public StickySessionOptions KeyFromCookie(string name) => Use(StickyKeySource.Cookie, name);

    /// <summary>Takes the key from a query parameter.</summary>
    /// <param name="name">The parameter name, e.g. <c>tenant</c>. An empty name is reported by validation, naming the service.</param>
    /// <returns>These options.</returns>
    public StickySessionOptions KeyFromQueryParameter(string name) => Use(StickyKeySource.QueryParameter, name);

    /// <summary>Takes the key from a value the caller sets on <see cref="HttpRequestMessage.Options"/>.</summary>
    /// <param name="key">The option key; set it with <c>request.Options.Set(key, value)</c>. An empty key is reported by validation.</param>
    /// <returns>These options.</returns>
    public StickySessionOptions KeyFromRequestOption(HttpRequestOptionsKey<string> key) => Use(StickyKeySource.RequestOption, key.Key);

    /// <summary>
    /// Computes the key with a function of the request. It runs on every request: keep it cheap and non-blocking.
    /// </summary>
    /// <param name="selector">
    /// Returns the key, or <see langword="null"/> or an empty string for none. A <see langword="null"/> function is
    /// reported by validation, naming the service.
    /// </param>
    /// <returns>These options.</returns>
    public StickySessionOptions KeyFrom(Func<HttpRequestMessage, string?> selector)
    {
        KeySource = StickyKeySource.Selector;
        KeyName = null;
        KeySelector = selector;
        return this;
    }

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    internal List<string> Validate(string service)
    {
        var problems = new List<string>();
        var key = $"LoadBalancing:Services:{service}:StickySessions";
        if (!Enum.IsDefined(KeySource))
        {
            problems.Add($"Service '{service}': StickySessions.KeySource ({key}:KeySource) is {(int)KeySource}; use one of {string.Join(", ", Enum.GetNames<StickyKeySource>())}.");
        }
        else if (KeySource == StickyKeySource.Selector)
        {
            if (KeySelector is null)
            {
                problems.Add($"Service '{service}': StickySessions.KeySource ({key}:KeySource) is Selector, which needs a key function, and none is set; set it in code with StickySessions.KeyFrom(request => ...), or read the key from a Header, Cookie, QueryParameter or RequestOption.");
            }
        }
        else if (KeySource != StickyKeySource.None && string.IsNullOrWhiteSpace(KeyName))
        {
            problems.Add($"Service '{service}': StickySessions.KeyName ({key}:KeyName) is empty; name the {KeySource switch
            {
                StickyKeySource.Header => "header",
                StickyKeySource.Cookie => "cookie",
                StickyKeySource.QueryParameter => "query parameter",
                _ => "request option",
            }} that holds the sticky key.");
        }

        ValidateKeyWithoutSource(problems, service, key);
        if (Duration < MinDuration || Duration > MaxDuration)
        {
            problems.Add($"Service '{service}': StickySessions.Duration ({key}:Duration) is {Duration}; it must be between {MinDuration} and {MaxDuration}.");
        }

        if (!Enum.IsDefined(FailurePolicy))
        {
            problems.Add($"Service '{service}': StickySessions.FailurePolicy ({key}:FailurePolicy) is {(int)FailurePolicy}; use Redistribute or Fail.");
        }

        if (MaxBindings < MinMaxBindings || MaxBindings > MaxMaxBindings)
        {
            problems.Add($"Service '{service}': StickySessions.MaxBindings ({key}:MaxBindings) is {MaxBindings}; it must be between {MinMaxBindings} and {MaxMaxBindings}.");
        }

        if (BoundedLoadFactor != 0 && !(BoundedLoadFactor >= 1 && BoundedLoadFactor <= MaxBoundedLoadFactor))
        {
            problems.Add($"Service '{service}': StickySessions.BoundedLoadFactor ({key}:BoundedLoadFactor) is {BoundedLoadFactor}; it must be between 1 and {MaxBoundedLoadFactor}, or 0 to turn bounded loads off.");
        }

        return problems;
    }

    // A key name alone does not turn sticky sessions on; without this, a forgotten KeySource silently leaves them off.
    private void ValidateKeyWithoutSource(List<string> problems, string service, string key)
    {
        if (KeySource == StickyKeySource.None && !string.IsNullOrWhiteSpace(KeyName))
        {
            problems.Add($"Service '{service}': StickySessions.KeyName ({key}:KeyName) is '{KeyName}' but StickySessions.KeySource ({key}:KeySource) is None, so sticky sessions are off; set KeySource to Header, Cookie, QueryParameter or RequestOption, or remove KeyName.");
        }
    }

    // An empty name is not thrown here, where the service is unknown: validation reports it with the service and the key.
    private StickySessionOptions Use(StickyKeySource source, string? name)
    {
        KeySource = source;
        KeyName = name;
        KeySelector = null;
        return this;
    }
}
