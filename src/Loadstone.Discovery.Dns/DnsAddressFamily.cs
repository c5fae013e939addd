namespace Loadstone.Discovery.Dns;

/// <summary>Which address records a DNS source asks for.</summary>
public enum DnsAddressFamily
{
    /// <summary>A and AAAA records: IPv4 and IPv6 addresses.</summary>
    Any,

    /// <summary>A records only: IPv4 addresses.</summary>
    IPv4,

    /// <summary>AAAA records only: IPv6 addresses.</summary>
    IPv6,
}
