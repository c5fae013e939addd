using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Loadstone;

/// <summary>
/// Builds each handshake's client options from <see cref="ConnectionTlsOptions"/>: the server name to check, the
/// caller's settings, and a validation callback that remembers what was wrong with the certificate, so a failed
/// handshake can say so in words.
/// </summary>
internal sealed class ConnectionTls(string serviceName, ConnectionTlsOptions options)
{
    public Check NewCheck(LoadBalancedEndpoint endpoint)
    {
        var name = options.ServerName == TlsServerName.EndpointHost ? endpoint.HostName ?? endpoint.Address.IdnHost : serviceName;
        return new Check(name, options.GetClientOptions());
    }

    /// <summary>One handshake's options and what its certificate validation saw.</summary>
    internal sealed class Check
    {
        private readonly RemoteCertificateValidationCallback? _userCallback;
        private SslPolicyErrors _errors;
        private string? _subject;
        private bool _validated;
        private bool _rejectedByCallback;

        public Check(string serverName, SslClientAuthenticationOptions? template)
        {
            ServerName = serverName;
            _userCallback = template?.RemoteCertificateValidationCallback;
            Options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = Validate,
            };
            if (template is not null)
            {
                Options.ApplicationProtocols = template.ApplicationProtocols;
                Options.ClientCertificates = template.ClientCertificates;
                Options.ClientCertificateContext = template.ClientCertificateContext;
                Options.LocalCertificateSelectionCallback = template.LocalCertificateSelectionCallback;
                Options.EnabledSslProtocols = template.EnabledSslProtocols;
                Options.CertificateRevocationCheckMode = template.CertificateRevocationCheckMode;
                Options.CertificateChainPolicy = template.CertificateChainPolicy;
                Options.EncryptionPolicy = template.EncryptionPolicy;
                Options.AllowRenegotiation = template.AllowRenegotiation;
                Options.AllowTlsResume = template.AllowTlsResume;
                Options.CipherSuitesPolicy = template.CipherSuitesPolicy;
            }
        }

        public string ServerName { get; }

        public SslClientAuthenticationOptions Options { get; }

        /// <summary>One sentence on why the handshake failed.</summary>
        public string Describe(Exception ex)
        {
            if (!_validated)
            {
                return $"TLS handshake failed before the certificate was checked ({ex.Message}).";
            }

            if (!_rejectedByCallback)
            {
                return $"TLS handshake failed after the certificate ({_subject}) was accepted ({ex.Message}).";
            }

            var problems = new List<string>();
            if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                problems.Add($"it is not issued for the server name '{ServerName}'");
            }

            if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                problems.Add("it does not chain to a trusted root");
            }

            if (_errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                problems.Add("the server sent none");
            }

            var why = problems.Count > 0 ? string.Join(" and ", problems) : "the validation callback rejected it";
            return $"TLS handshake failed: the certificate presented ({_subject ?? "none"}) was rejected: {why}.";
        }

        private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            _validated = true;
            _errors = errors;
            _subject = certificate?.Subject;
            var accepted = _userCallback is { } user ? user(sender, certificate, chain, errors) : errors == SslPolicyErrors.None;
            _rejectedByCallback = !accepted;
            return accepted;
        }
    }
}
