namespace Loadstone.ServiceDiscovery;

/// <summary>How the bridge from Microsoft.Extensions.ServiceDiscovery's resolver to Loadstone's pools works.</summary>
public sealed class ServiceDiscoveryLoadBalancingOptions
{
    /// <summary>
    /// Named endpoints to resolve for every service besides those the configuration lists (each child of
    /// <c>Services:{service}</c> other than <c>default</c>, <c>http</c> and <c>https</c>): the names a provider other than
    /// configuration knows (a DNS SRV provider's <c>_dashboard.catalog</c>, say). Empty by default.
    /// </summary>
    public IList<string> EndpointNames { get; } = [];

    /// <summary>
    /// Whether every HttpClient that uses service discovery (<c>AddServiceDiscovery()</c> on the client or on the client
    /// defaults) is balanced by Loadstone: its ServiceDiscovery handler is replaced by a <c>LoadBalancingHandler</c>,
    /// and ServiceDiscovery still resolves hosts that are not load-balanced services. The default is
    /// <see langword="true"/>; with <see langword="false"/>, only clients given <c>AddLoadBalancing()</c> are balanced.
    /// </summary>
    public bool BalanceServiceDiscoveryClients { get; set; } = true;
}
