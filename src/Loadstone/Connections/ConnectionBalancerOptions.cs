using System.Net.Security;

namespace Loadstone;

/// <summary>
/// How a <see cref="ConnectionBalancer"/> opens connections to a service's endpoints: the connect budget and deadline,
/// TLS, and what happens to connections whose endpoint leaves the pool. Configure in code, or under
/// <c>LoadBalancing:Connections:{service}</c> in configuration.
/// </summary>
public sealed class ConnectionBalancerOptions
{
    /// <summary>The default of <see cref="MaxConnectAttempts"/>: 3.</summary>
    public const int DefaultMaxConnectAttempts = 3;

    /// <summary>The largest <see cref="MaxConnectAttempts"/>: 10.</summary>
    public const int MaxMaxConnectAttempts = 10;

    /// <summary>The default of <see cref="ConnectTimeout"/>: 5 seconds, as Envoy's cluster <c>connect_timeout</c>.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The default of <see cref="ConnectDeadline"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultConnectDeadline = TimeSpan.FromSeconds(10);

    internal static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    internal static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromMinutes(5);
    internal static readonly TimeSpan MaxConnectDeadline = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The connect budget: how many endpoints one <see cref="ConnectionBalancer.ConnectAsync(CancellationToken)"/> may
    /// try, 1 to 10. A failed attempt moves to an endpoint not tried yet; once every candidate has been tried, an
    /// attempt may go to one tried before. The default is 3.
    /// </summary>
    public int MaxConnectAttempts { get; set; } = DefaultMaxConnectAttempts;

    /// <summary>
    /// The limit on one attempt: the TCP connect plus the TLS handshake, if any. An attempt that runs out counts as a
    /// timeout of that endpoint (passive health) and the next endpoint is tried. The default is 5 s; the range is
    /// 10 ms to 5 min.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// The limit on the whole connect, every attempt included, measured on the pool's <see cref="TimeProvider"/>. When it
    /// runs out the connect fails with <see cref="ConnectFailureReason.DeadlineExceeded"/>; the attempt it cut short is not
    /// held against its endpoint. The default is 10 s; the range is 10 ms to 10 min.
    /// </summary>
    public TimeSpan ConnectDeadline { get; set; } = DefaultConnectDeadline;

    /// <summary>
    /// TLS to the endpoints (the balancer passes the client's TLS through to the instance, as a Network Load Balancer's
    /// TCP listener does); <see langword="null"/> (the default) opens plain TCP connections.
    /// </summary>
    public ConnectionTlsOptions? Tls { get; set; }

    /// <summary>
    /// Close open connections to an endpoint once it has left the pool and its deregistration delay
    /// (<see cref="LoadBalancingOptions.DeregistrationDelay"/>) has ended, like a Network Load Balancer's
    /// <c>deregistration_delay.connection_termination.enabled</c>. The default is <see langword="false"/>, as the NLB's:
    /// such connections are left for their owner to close, and count towards the endpoint until then.
    /// </summary>
    public bool CloseConnectionsOnDeregistration { get; set; }

    /// <summary>Problems found while reading configuration, reported by validation with every other problem.</summary>
    internal List<string> ConfigurationProblems { get; } = [];

    /// <summary>Every problem of these options, each naming the service, the setting and its configuration key.</summary>
    internal List<string> Problems(string service)
    {
        var problems = new List<string>(ConfigurationProblems);
        var key = $"{ConnectionBalancerConfiguration.Section}:{service}";
        if (MaxConnectAttempts is < 1 or > MaxMaxConnectAttempts)
        {
            problems.Add($"Service '{service}': MaxConnectAttempts ({key}:MaxConnectAttempts) is {MaxConnectAttempts}; it must be between 1 and {MaxMaxConnectAttempts}.");
        }

        if (ConnectTimeout < MinTimeout || ConnectTimeout > MaxConnectTimeout)
        {
            problems.Add($"Service '{service}': ConnectTimeout ({key}:ConnectTimeout) is {ConnectTimeout}; it must be between {MinTimeout} and {MaxConnectTimeout}.");
        }

        if (ConnectDeadline < MinTimeout || ConnectDeadline > MaxConnectDeadline)
        {
            problems.Add($"Service '{service}': ConnectDeadline ({key}:ConnectDeadline) is {ConnectDeadline}; it must be between {MinTimeout} and {MaxConnectDeadline}.");
        }

        if (Tls is { } tls && !Enum.IsDefined(tls.ServerName))
        {
            problems.Add($"Service '{service}': Tls:ServerName ({key}:Tls:ServerName) is {(int)tls.ServerName}; use ServiceName or EndpointHost.");
        }

        return problems;
    }
}
