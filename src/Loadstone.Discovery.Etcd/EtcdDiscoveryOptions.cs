namespace Loadstone.Discovery.Etcd;

/// <summary>
/// Where an etcd endpoint source reads a service's endpoints: a key prefix on an etcd cluster (v3 API), each key's value
/// a small JSON document describing one endpoint (see <see cref="EtcdEndpointDocument"/>). Bound from
/// <c>LoadBalancing:Services:{service}:Discovery:Etcd</c> or set in code.
/// </summary>
public sealed class EtcdDiscoveryOptions
{
    /// <summary>The default <see cref="RequestTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RetryDelay"/>: 500 milliseconds.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default <see cref="MaxRetryDelay"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The etcd cluster's client URLs, e.g. <c>http://10.0.0.10:2379</c> (<c>https</c> for TLS with the system's trust
    /// store). When the connection is lost the source tries the next one. At least one is required.
    /// </summary>
    public IList<string> Endpoints { get; } = [];

    /// <summary>
    /// The key prefix whose keys are the service's endpoints, e.g. <c>/services/catalog/</c>; every key that starts with
    /// it counts (end it with <c>/</c> so that <c>/services/catalog</c> does not also match <c>/services/catalog-v2</c>).
    /// Required.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// Whether an empty prefix is published as "no instances" (every instance deregistered). The default is
    /// <see langword="true"/>: etcd's answer is authoritative, unlike a failed lookup, and a failed read or a lost watch
    /// never empties the set (the last good set is kept). Set <see langword="false"/> to keep the last good set even then.
    /// </summary>
    public bool AllowsEmpty { get; set; } = true;

    /// <summary>How long a range read may take. The default is 5 s; the range is 100 ms to 5 min.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>
    /// After a lost connection or a failed read, the next try comes after this delay, doubled with each consecutive
    /// failure up to <see cref="MaxRetryDelay"/>; the last good endpoints are kept meanwhile. The default is 500 ms; the
    /// range is 10 ms to 1 h.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>The longest delay between tries. The default is 30 s; the range is <see cref="RetryDelay"/> to 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;


    internal EtcdDiscoveryOptions Clone()
    {
        var copy = new EtcdDiscoveryOptions
        {
            Prefix = Prefix,
            AllowsEmpty = AllowsEmpty,
            RequestTimeout = RequestTimeout,
            RetryDelay = RetryDelay,
            MaxRetryDelay = MaxRetryDelay,
        };
        foreach (var endpoint in Endpoints)
        {
            copy.Endpoints.Add(endpoint);
        }

        return copy;
    }
}
