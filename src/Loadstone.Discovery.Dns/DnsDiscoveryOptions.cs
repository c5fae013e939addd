namespace Loadstone.Discovery.Dns;

/// <summary>
/// What a DNS endpoint source asks for and how it refreshes: either SRV records (<see cref="SrvName"/>) or A/AAAA
/// records of a host name (<see cref="HostName"/> with <see cref="Port"/>). Bound from
/// <c>LoadBalancing:Services:{service}:Discovery:Dns</c> or set in code.
/// </summary>
public sealed class DnsDiscoveryOptions
{
    /// <summary>The default <see cref="Scheme"/>: <c>http</c>.</summary>
    public const string DefaultScheme = "http";

    /// <summary>The default <see cref="MinRefreshInterval"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultMinRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="MaxRefreshInterval"/>: 60 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRefreshInterval = TimeSpan.FromSeconds(60);

    /// <summary>The default <see cref="QueryTimeout"/>: 3 seconds.</summary>
    public static readonly TimeSpan DefaultQueryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The default <see cref="RetryDelay"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="MaxRetryDelay"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The SRV record set to read, e.g. <c>_http._tcp.catalog.ns.svc.cluster.local</c> (a Kubernetes named port) or
    /// <c>_catalog._tcp.service.consul</c>. Each record gives a target host and port; the target's A/AAAA records give
    /// the addresses, and the target's name is kept as the endpoint's <see cref="LoadBalancedEndpoint.HostName"/> (Host
    /// header and TLS name). Only the lowest-priority group of records is served; weights become endpoint weights (see
    /// the discovery docs). Set this or <see cref="HostName"/>, not both.
    /// </summary>
    public string? SrvName { get; set; }

    /// <summary>
    /// The host name whose A/AAAA records are the endpoints, e.g. <c>catalog.ns.svc.cluster.local</c> (a Kubernetes
    /// headless service). Needs <see cref="Port"/>. Set this or <see cref="SrvName"/>, not both.
    /// </summary>
    public string? HostName { get; set; }

    /// <summary>The port of every endpoint found through <see cref="HostName"/>, 1 to 65535; not used with SRV records (they carry ports).</summary>
    public int? Port { get; set; }

    /// <summary>The scheme of the endpoints' addresses: <c>http</c> or <c>https</c>. The default is <c>http</c>.</summary>
    public string Scheme { get; set; } = DefaultScheme;

    /// <summary>The availability zone given to every endpoint (DNS carries none), or <see langword="null"/>. The default is none.</summary>
    public string? Zone { get; set; }

    /// <summary>Which address records to ask for: A, AAAA or both. The default is <see cref="DnsAddressFamily.Any"/> (both).</summary>
    public DnsAddressFamily AddressFamily { get; set; } = DnsAddressFamily.Any;

    /// <summary>
    /// The name server to ask: an IP address with an optional port, e.g. <c>10.96.0.10</c>, <c>127.0.0.1:5353</c> or
    /// <c>[fd00::a]:53</c>. The default (<see langword="null"/>) is the system's name servers (<c>/etc/resolv.conf</c>).
    /// </summary>
    public string? NameServer { get; set; }

    /// <summary>
    /// Domains appended to a name that does not end with a dot, as <c>search</c> in <c>/etc/resolv.conf</c> with
    /// <c>ndots:1</c>: a name with no dot is tried with each domain first and then as written; a name with a dot is tried
    /// as written first. The first name that has records is used; a lookup that fails (rather than answering "no such
    /// name") stops the search. The default is none.
    /// </summary>
    public IList<string> SearchDomains { get; } = [];

    /// <summary>
    /// The shortest time between two lookups: a record's TTL below it is raised to it. The default is 1 s; the range is
    /// 100 ms to 1 h. After an empty answer that is accepted (<see cref="AllowsEmpty"/>), the next lookup comes after the
    /// negative-caching TTL (RFC 2308) kept within these bounds, so the source recovers from 0 to N records within one
    /// such interval.
    /// </summary>
    public TimeSpan MinRefreshInterval { get; set; } = DefaultMinRefreshInterval;

    /// <summary>
    /// The longest time between two lookups: a record's TTL above it is lowered to it. The default is 60 s; the range is
    /// <see cref="MinRefreshInterval"/> to 24 h.
    /// </summary>
    public TimeSpan MaxRefreshInterval { get; set; } = DefaultMaxRefreshInterval;

    /// <summary>How long one query may take before it counts as failed. The default is 3 s; the range is 100 ms to 60 s.</summary>
    public TimeSpan QueryTimeout { get; set; } = DefaultQueryTimeout;

    /// <summary>
    /// After a failed lookup (SERVFAIL, REFUSED, a timeout, an unreachable server, or an empty answer that is not
    /// accepted), the next one comes after this delay, doubled with each consecutive failure up to
    /// <see cref="MaxRetryDelay"/>. The last good endpoints are kept meanwhile. The default is 1 s; the range is 10 ms to 1 h.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = DefaultRetryDelay;

    /// <summary>The longest delay between retries after failures. The default is 30 s; the range is <see cref="RetryDelay"/> to 1 h.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

    /// <summary>
    /// Whether an answer with no records (NXDOMAIN, or a name without records of the type asked, or an SRV target of
    /// <c>.</c>) means the service has no instances (scaled to zero) and is published as an empty set. The default is
    /// <see langword="false"/>: such an answer is treated as a failure, and the last good endpoints are kept, so a burst of
    /// NXDOMAIN from a flapping registry does not empty the pool.
    /// </summary>
    public bool AllowsEmpty { get; set; }

    /// <summary>A copy, so that a running source is not changed by later edits of the options it was created with.</summary>
    internal DnsDiscoveryOptions Clone()
    {
        var copy = new DnsDiscoveryOptions
        {
            SrvName = SrvName,
            HostName = HostName,
            Port = Port,
            Scheme = Scheme,
            Zone = Zone,
            AddressFamily = AddressFamily,
            NameServer = NameServer,
            MinRefreshInterval = MinRefreshInterval,
            MaxRefreshInterval = MaxRefreshInterval,
            QueryTimeout = QueryTimeout,
            RetryDelay = RetryDelay,
            MaxRetryDelay = MaxRetryDelay,
            AllowsEmpty = AllowsEmpty,
        };
        foreach (var domain in SearchDomains)
        {
            copy.SearchDomains.Add(domain);
        }

        return copy;
    }
}
