using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Tests.Http;

/// <summary>
/// HTTPS to endpoints listed by IP address, with a certificate issued for the logical service name: the balancer
/// sends the service name as Host (and so as TLS server name) when <see cref="LoadBalancingOptions.UseServiceNameAsHost"/> is on.
/// </summary>
public sealed class TlsIntegrationTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(SslPolicyErrors Errors, string? Thumbprint)> _validations = new();
    private X509Certificate2 _certificate = null!;
    private TestBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _certificate = TestCertificates.CreateSelfSigned("catalog");
        _backend = await TestCertificates.StartHttpsBackendAsync("tls", _certificate);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task UseServiceNameAsHost_IpEndpointAndCertificateForServiceName_NameValidatesAndBackendSeesServiceHost()
    {
        Assert.Equal(Uri.UriSchemeHttps, _backend.Address.Scheme);
        await using var provider = BuildProvider(useServiceNameAsHost: true);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        Assert.Equal("tls", await client.GetStringAsync("/items?q=1"));
        Assert.Equal("tls", await client.GetStringAsync("/items/2"));

        // The only complaint is the untrusted self-signed root: the name "catalog" matched.
        var (errors, thumbprint) = Assert.Single(_validations);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, errors);
        Assert.Equal(_certificate.Thumbprint, thumbprint);
        Assert.Equal(["catalog", "catalog"], _backend.HostHeaders);
        Assert.Equal(["/items?q=1", "/items/2"], _backend.Received);
    }

    [Fact]
    public async Task UseServiceNameAsHost_Off_CertificateNameCheckFailsAgainstTheIpAddress()
    {
        await using var provider = BuildProvider(useServiceNameAsHost: false);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/items"));

        // Every handshake (one per attempt, should retries be on) failed on the name, and no request got through.
        Assert.NotEmpty(_validations);
        Assert.All(_validations, v => Assert.True(
            v.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch), $"Expected a name mismatch, got {v.Errors}."));
        Assert.Equal(0, _backend.RequestCount);
        var endpoint = Assert.Single(provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog").Endpoints);
        Assert.Equal(_validations.Count, endpoint.FailedRequests);
    }

    [Fact]
    public async Task UseServiceNameAsHost_AfterSend_RequestHasNoHostHeaderAgain()
    {
        await using var provider = BuildProvider(useServiceNameAsHost: true);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");

        using var response = await client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Null(request.Headers.Host);
        Assert.Equal(new Uri("http://catalog/items"), request.RequestUri);
        Assert.Equal(["catalog"], _backend.HostHeaders);
    }

    private ServiceProvider BuildProvider(bool useServiceNameAsHost)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient("catalog", o =>
            {
                o.Endpoints.Add(_backend.Address.ToString());
                o.UseServiceNameAsHost = useServiceNameAsHost;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    // Trust the test's own root, and nothing else: a name mismatch still fails.
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    {
                        _validations.Enqueue((errors, (certificate as X509Certificate2)?.Thumbprint));
                        return errors == SslPolicyErrors.RemoteCertificateChainErrors;
                    },
                },
            });
        return services.BuildServiceProvider();
    }
}
