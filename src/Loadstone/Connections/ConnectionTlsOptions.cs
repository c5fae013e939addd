using System.Net.Security;

namespace Loadstone;

/// <summary>TLS from the client to each endpoint, checked against the name the client expects.</summary>
public sealed class ConnectionTlsOptions
{
    /// <summary>
    /// The name sent as the TLS server name (SNI) and checked against the endpoint's certificate. The default is
    /// <see cref="TlsServerName.ServiceName"/>: every instance presents a certificate for the logical service, as behind
    /// a load balancer's DNS name.
    /// </summary>
    public TlsServerName ServerName { get; set; } = TlsServerName.ServiceName;

    /// <summary>
    /// Further client settings (client certificates, protocols, ALPN, a certificate validation callback), set in code with
    /// <see cref="UseClientOptions"/>: certificates and callbacks are not settings configuration can hold.
    /// </summary>
    // A field read by a method, not a property: the configuration binder's source generator binds every property it can
    // reach, and certificates and callbacks are not settings.
    private SslClientAuthenticationOptions? _clientOptions;

    internal SslClientAuthenticationOptions? GetClientOptions() => _clientOptions;

    /// <summary>
    /// Sets further client settings (client certificates, protocols, ALPN, a certificate validation callback), copied for
    /// each handshake; their <see cref="SslClientAuthenticationOptions.TargetHost"/> is replaced by the name chosen by
    /// <see cref="ServerName"/>. Without them (the default) the system's defaults apply: the certificate must chain to a
    /// trusted root and match the name.
    /// </summary>
    /// <param name="clientOptions">The settings.</param>
    /// <returns>These options.</returns>
    public ConnectionTlsOptions UseClientOptions(SslClientAuthenticationOptions clientOptions)
    {
        ArgumentNullException.ThrowIfNull(clientOptions);
        _clientOptions = clientOptions;
        return this;
    }
}
