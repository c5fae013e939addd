namespace Loadstone.Discovery.Dns;

/// <summary>Metadata keys that DNS sources put on endpoints (never interpreted by the balancer).</summary>
public static class DnsMetadata
{
    /// <summary>The priority of the SRV record an endpoint came from: <c>dns.srv.priority</c>.</summary>
    public const string SrvPriority = "dns.srv.priority";

    /// <summary>The weight of the SRV record an endpoint came from, before mapping to an endpoint weight: <c>dns.srv.weight</c>.</summary>
    public const string SrvWeight = "dns.srv.weight";
}
