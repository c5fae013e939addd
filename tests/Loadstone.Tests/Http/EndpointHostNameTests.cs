using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Tests.Http;

/// <summary>
/// An endpoint listed by IP address with the DNS name it answers to (<see cref="LoadBalancedEndpoint.HostName"/>, as a
/// DNS SRV source gives it): requests carry the name as Host, and HTTPS validates the certificate against it.
/// </summary>
public sealed class EndpointHostNameTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<SslPolicyErrors> _validations = new();
    private X509Certificate2 _certificate = null!;
    private TestBackend _secure = null!;
    private TestBackend _plain = null!;

    public async Task InitializeAsync()
    {
        _certificate = TestCertificates.CreateSelfSigned("node1.catalog.test");
        _secure = await TestCertificates.StartHttpsBackendAsync("tls", _certificate);
        _plain = await TestBackend.StartAsync("plain");
    }

    public async Task DisposeAsync()
    {
        await _secure.DisposeAsync();
        await _plain.DisposeAsync();
        _certificate.Dispose();
    }

    [Theory]
    [InlineData("node1.catalog.test", "node1.catalog.test")]
    [InlineData("node1.catalog.test.", "node1.catalog.test")]
    [InlineData(null, null)]
    [InlineData(" ", null)]
    public void HostName_Set_TrimsTheRootDotAndDoesNotChangeIdentity(string? hostName, string? expected)
    {
        var plain = new LoadBalancedEndpoint("http://10.0.0.5:8080");
        var named = new LoadBalancedEndpoint("http://10.0.0.5:8080") { HostName = hostName };

        Assert.Equal(expected, named.HostName);
        Assert.Equal(plain, named);
        Assert.Equal(expected is null ? null : expected + ":8080", named.HostHeader);
    }

    [Fact]
    public void HostName_DefaultPort_HostHeaderHasNoPort()
    {
        var endpoint = new LoadBalancedEndpoint("https://10.0.0.5") { HostName = "node1.catalog.test" };

        Assert.Equal("node1.catalog.test", endpoint.HostHeader);
        Assert.Equal("node1.catalog.test", endpoint.WithWeight(5).HostHeader);
    }

    [Theory]
    [InlineData("under_score..bad")]
    [InlineData("has space")]
    [InlineData("10.0.0.5")]
    public void HostName_NotADnsName_Throws(string hostName)
    {
        var error = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint("http://10.0.0.5:8080") { HostName = hostName });

        Assert.Contains("is not a DNS host name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_EndpointWithHostName_BackendSeesTheNameAndPortAsHost()
    {
        await using var provider = BuildProvider(new LoadBalancedEndpoint(_plain.Address) { HostName = "node1.catalog.test" });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");

        using var response = await client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal("node1.catalog.test:" + _plain.Port.ToString(CultureInfo.InvariantCulture), Assert.Single(_plain.HostHeaders));
        Assert.Null(request.Headers.Host);
    }

    [Fact]
    public async Task SendAsync_HttpsEndpointWithHostName_CertificateForTheNameValidates()
    {
        await using var provider = BuildProvider(new LoadBalancedEndpoint(_secure.Address) { HostName = "node1.catalog.test" });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        Assert.Equal("tls", await client.GetStringAsync("/items"));

        // The only complaint is the untrusted self-signed root: the name matched.
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, Assert.Single(_validations));
    }

    [Fact]
    public async Task SendAsync_HttpsEndpointWithoutHostName_CertificateNameCheckFails()
    {
        await using var provider = BuildProvider(new LoadBalancedEndpoint(_secure.Address));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/items"));

        Assert.All(_validations, e => Assert.True(e.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch), $"Expected a name mismatch, got {e}."));
        Assert.Equal(0, _secure.RequestCount);
    }

    private ServiceProvider BuildProvider(LoadBalancedEndpoint endpoint)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedService("catalog").AddEndpointSource(EndpointSource.Static(endpoint));
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog"))
            .AddLoadBalancing()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, _, _, errors) =>
                    {
                        _validations.Enqueue(errors);
                        return errors == SslPolicyErrors.RemoteCertificateChainErrors;
                    },
                },
            });
        return services.BuildServiceProvider();
    }
}
