using System.Net.Security;

namespace Loadstone;

/// <summary>Which name an endpoint's TLS certificate is checked against.</summary>
public enum TlsServerName
{
    /// <summary>The logical service name, e.g. <c>catalog</c>.</summary>
    ServiceName,

    /// <summary>
    /// The endpoint's own host name: its <see cref="LoadBalancedEndpoint.HostName"/> when discovery gave it one (an
    /// address listed by IP), else the host of its address, e.g. <c>redis-1.internal</c> in <c>tcp://redis-1.internal:6380</c>.
    /// </summary>
    EndpointHost,
}
