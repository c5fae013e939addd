namespace Loadstone.Discovery.Etcd;

/// <summary>
/// Where a client joins its service's peer registry in etcd (<see cref="EtcdPeerRegistry"/>): every client of the
/// service holds one slot key <c>{Prefix}{slot}</c> under its own lease; the slot is its subsetting index.
/// </summary>
public sealed class EtcdPeerRegistryOptions
{
    /// <summary>The default <see cref="LeaseTtl"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="RequestTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RetryDelay"/>: 500 milliseconds.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default <see cref="MaxRetryDelay"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The etcd cluster's client URLs, e.g. <c>http://10.0.0.10:2379</c>; after a failure the next one is tried. At least one is required.</summary>
    public IList<string> Endpoints { get; } = [];

    /// <summary>
    /// The key prefix the service's clients register under, e.g. <c>/peers/catalog/</c> (end it with <c>/</c>); every client
    /// of the service that subsets it must use the same one. Required.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// The lease's time to live: how long after a crash (no more keep-alives) the client's slot is freed. The default is
    /// 10 s; the range is 2 s to 1 h, in whole seconds.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = DefaultLeaseTtl;

    /// <summary>How long one etcd request may take. The default is 5 s; the range is 100 ms to 5 min.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>After a failure, the next try comes after this delay, doubled each time up to <see cref="MaxRetryDelay"/>. The default is 500 ms; the range is 10 ms to 1 h.</summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>The longest delay between tries. The default is 5 s; the range is <see cref="RetryDelay"/> to 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

    internal EtcdPeerRegistryOptions Clone()
    {
        var copy = new EtcdPeerRegistryOptions
        {
            Prefix = Prefix,
            LeaseTtl = LeaseTtl,
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
