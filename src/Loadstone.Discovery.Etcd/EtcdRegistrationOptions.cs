namespace Loadstone.Discovery.Etcd;

/// <summary>
/// How an instance registers itself in etcd: the key <c>{Prefix}{InstanceId}</c> holds its endpoint document under a
/// lease of <see cref="LeaseTtl"/>, kept alive while the instance runs, deleted on graceful shutdown; a crashed instance's
/// key disappears when the lease expires.
/// </summary>
public sealed class EtcdRegistrationOptions
{
    /// <summary>The default <see cref="LeaseTtl"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="DrainDelay"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RequestTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="RetryDelay"/>: 500 milliseconds.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default <see cref="MaxRetryDelay"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The etcd cluster's client URLs, e.g. <c>http://10.0.0.10:2379</c>; after a failure the next one is tried. At least one is required.</summary>
    public IList<string> Endpoints { get; } = [];

    /// <summary>The service's key prefix, the one its clients watch, e.g. <c>/services/catalog/</c>. Required.</summary>
    public string? Prefix { get; set; }

    /// <summary>
    /// The instance's address as clients should call it, e.g. <c>http://10.0.1.5:8080</c>. Required unless
    /// <see cref="AddressFactory"/> is set.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// Computes the address once the application has started (so a server bound to port 0 can report its real port, e.g.
    /// from ASP.NET Core's <c>IServerAddressesFeature</c>). Used when <see cref="Address"/> is not set. Not read from configuration.
    /// </summary>
    public Func<IServiceProvider, Uri>? AddressFactory { get; set; }

    /// <summary>The part of the key after the prefix. The default (<see langword="null"/>) is the address's <c>host:port</c>, so a restarted instance takes over its own key.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The availability zone of the instance, or <see langword="null"/>.</summary>
    public string? Zone { get; set; }

    /// <summary>The relative traffic share, 0 to 10,000. The default is 1.</summary>
    public int Weight { get; set; } = LoadBalancedEndpoint.DefaultWeight;

    /// <summary>The named endpoint this address serves, or <see langword="null"/>.</summary>
    public string? Name { get; set; }

    /// <summary>The DNS name the instance answers to (sent as Host and used for TLS by clients), or <see langword="null"/>.</summary>
    public string? HostName { get; set; }

    /// <summary>Free-form labels (version, build...), stored with the endpoint.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The lease's time to live: how long after a crash (no more keep-alives) the key disappears. Keep-alives are sent every
    /// third of it. The default is 10 s; the range is 2 s to 1 h, in whole seconds (etcd's unit).
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = DefaultLeaseTtl;

    /// <summary>
    /// How long the instance keeps serving after deleting its key at shutdown, so that every client sees the deletion and
    /// sends no new request before the server stops listening (like a Kubernetes preStop sleep; requests in flight then
    /// finish through the server's own graceful stop). The host's shutdown timeout must be longer. The default is 5 s;
    /// the range is 0 to 5 min.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = DefaultDrainDelay;

    /// <summary>How long one etcd request may take. The default is 5 s; the range is 100 ms to 5 min.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>After a failure, the next try comes after this delay, doubled each time up to <see cref="MaxRetryDelay"/>. The default is 500 ms; the range is 10 ms to 1 h.</summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>The longest delay between tries. The default is 5 s; the range is <see cref="RetryDelay"/> to 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

}
