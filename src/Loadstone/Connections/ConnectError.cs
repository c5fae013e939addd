using System.Text;

namespace Loadstone;

/// <summary>How one connect attempt failed.</summary>
public enum ConnectError
{
    /// <summary>The endpoint refused the connection: nothing listens on that port.</summary>
    Refused,

    /// <summary>The attempt ran out of <see cref="ConnectionBalancerOptions.ConnectTimeout"/>.</summary>
    Timeout,

    /// <summary>The endpoint's host name did not resolve.</summary>
    HostNotFound,

    /// <summary>The TLS handshake failed: a certificate that does not match the expected name or chain, or a protocol error.</summary>
    Tls,

    /// <summary>Another network error: unreachable, reset during the handshake.</summary>
    Network,

    /// <summary>The connect deadline ran out during this attempt; not held against the endpoint.</summary>
    DeadlineExceeded,
}
