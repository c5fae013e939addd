using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Loadstone.Tests.Http;
using static Loadstone.Tests.Connections.ConnectionKit;

namespace Loadstone.Tests.Connections;

/// <summary>
/// TLS pass-through against real TLS servers (SslStream over TCP on 127.0.0.1) with certificates made in the test: the
/// balancer connects by address and checks each instance's certificate against the logical name (or the endpoint's own
/// host), and a certificate for another name fails with an exception that says so.
/// </summary>
public sealed class TlsConnectionTests : IAsyncLifetime
{
    private X509Certificate2 _catalog = null!;
    private X509Certificate2 _wrong = null!;
    private X509Certificate2 _localhost = null!;
    private TcpTestServer _catalogServer = null!;
    private TcpTestServer _wrongServer = null!;
    private TcpTestServer _localhostServer = null!;

    public Task InitializeAsync()
    {
        _catalog = TestCertificates.CreateSelfSigned("catalog");
        _wrong = TestCertificates.CreateSelfSigned("wrong.example");
        _localhost = TestCertificates.CreateSelfSigned("localhost");
        _catalogServer = TcpTestServer.Echo(_catalog);
        _wrongServer = TcpTestServer.Echo(_wrong);
        _localhostServer = TcpTestServer.Echo(_localhost);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _catalogServer.DisposeAsync();
        await _wrongServer.DisposeAsync();
        await _localhostServer.DisposeAsync();
        _catalog.Dispose();
        _wrong.Dispose();
        _localhost.Dispose();
    }

    /// <summary>
    /// Client options that trust the test's own self-signed certificates (and no other root), while still failing on a
    /// name mismatch: the only error accepted is the untrusted chain of one of <paramref name="trusted"/>.
    /// </summary>
    public static SslClientAuthenticationOptions TrustOnly(params X509Certificate2[] trusted) => new()
    {
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            (errors == SslPolicyErrors.None || errors == SslPolicyErrors.RemoteCertificateChainErrors)
            && trusted.Any(t => t.Thumbprint == (certificate as X509Certificate2)?.Thumbprint),
    };

    [Fact]
    public async Task ConnectAsync_CertificateForServiceName_HandshakeChecksTheLogicalNameAndDataFlows()
    {
        using var pool = Pool("catalog", LoadBalancingStrategies.LeastRequests, [_catalogServer.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            Tls = new ConnectionTlsOptions().UseClientOptions(TrustOnly(_catalog, _wrong, _localhost)),
        });

        await using var connection = await balancer.ConnectAsync();

        Assert.NotNull(connection.SslStream);
        Assert.Equal("catalog", connection.SslStream.TargetHostName);
        Assert.Equal(_catalog.Thumbprint, ((X509Certificate2)connection.SslStream.RemoteCertificate!).Thumbprint);
        Assert.Equal("over tls", await EchoAsync(connection, "over tls"));
    }

    [Fact]
    public async Task ConnectAsync_CertificateForAnotherName_FailsWithTheNamesInTheMessage()
    {
        using var pool = Pool("catalog", LoadBalancingStrategies.LeastRequests, [_wrongServer.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            MaxConnectAttempts = 1,
            Tls = new ConnectionTlsOptions().UseClientOptions(TrustOnly(_catalog, _wrong, _localhost)),
        });

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        var attempt = Assert.Single(ex.Attempts);
        Assert.Equal(ConnectError.Tls, attempt.Error);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(attempt.Exception);
        Assert.Equal(
            $"No connection to service 'catalog' could be made: 1 attempt failed, the connect budget. 1. {_wrongServer.Endpoint}: "
            + "TLS handshake failed: the certificate presented (CN=wrong.example) was rejected: it is not issued for the server name "
            + "'catalog' and it does not chain to a trusted root.",
            ex.Message);
        Assert.Equal(1, State(pool, _wrongServer.Endpoint).FailedRequests);
    }

    [Fact]
    public async Task ConnectAsync_WithoutTrustCallback_SystemValidationRejectsTheUntrustedRoot()
    {
        using var pool = Pool("catalog", LoadBalancingStrategies.LeastRequests, [_catalogServer.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions { MaxConnectAttempts = 1, Tls = new ConnectionTlsOptions() });

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        Assert.EndsWith("TLS handshake failed: the certificate presented (CN=catalog) was rejected: it does not chain to a trusted root.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_OneInstanceWithWrongCertificate_EveryConnectLandsOnTheGoodOne()
    {
        using var pool = Pool("catalog", LoadBalancingStrategies.RoundRobin, [_wrongServer.Endpoint, _catalogServer.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            Tls = new ConnectionTlsOptions().UseClientOptions(TrustOnly(_catalog, _wrong)),
        });

        for (var i = 0; i < 6; i++)
        {
            await using var connection = await balancer.ConnectAsync();
            Assert.Equal(new LoadBalancedEndpoint(_catalogServer.Endpoint), connection.Endpoint);
        }

        // Round robin sends each connect to the bad instance first (the retry takes the next turn), until outlier
        // detection ejects it after 5 consecutive failures; the sixth connect goes straight to the good one.
        await pool.SettleAsync(); // the ejection is published by the pool's control plane
        Assert.Equal(EndpointHealth.Unhealthy, State(pool, _wrongServer.Endpoint).Health);
        Assert.Equal(5, State(pool, _wrongServer.Endpoint).FailedRequests);
    }

    [Fact]
    public async Task ConnectAsync_ServerNameEndpointHost_EndpointListedByIpWithHostName_ChecksTheHostName()
    {
        using var pool = Pool("catalog", LoadBalancingStrategies.LeastRequests, [],
            o => o.Endpoints.Add(new LoadBalancedEndpoint(_localhostServer.Endpoint) { HostName = "localhost" }));
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            Tls = new ConnectionTlsOptions { ServerName = TlsServerName.EndpointHost }.UseClientOptions(TrustOnly(_localhost)),
        });

        await using var connection = await balancer.ConnectAsync();

        Assert.Equal("localhost", connection.SslStream!.TargetHostName);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)connection.Socket.RemoteEndPoint!).Address.MapToIPv4()); // connected by address, not by name
    }

    [Fact]
    public async Task ConnectAsync_ServerNameEndpointHost_ChecksTheEndpointsOwnHostName()
    {
        var endpoint = $"tcp://localhost:{_localhostServer.Port}";
        using var pool = Pool("catalog", LoadBalancingStrategies.LeastRequests, [endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            Tls = new ConnectionTlsOptions { ServerName = TlsServerName.EndpointHost }.UseClientOptions(TrustOnly(_localhost)),
        });

        await using var connection = await balancer.ConnectAsync();

        Assert.Equal("localhost", connection.SslStream!.TargetHostName);
        Assert.Equal("by host", await EchoAsync(connection, "by host"));
    }
}
