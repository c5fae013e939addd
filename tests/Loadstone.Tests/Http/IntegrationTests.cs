using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Loadstone.Tests.Http;

/// <summary>Helpers shared by the integration tests (real Kestrel backends on 127.0.0.1).</summary>
internal static class IntegrationTests
{
    /// <summary>Chi-square critical value for 2 degrees of freedom at p = 0.001 (three endpoints).</summary>
    public const double ChiSquare2DofP001 = 13.816;

    /// <summary>Sends <paramref name="count"/> GET requests one after another; each must succeed.</summary>
    public static async Task SendSequentialAsync(HttpClient client, int count, string path = "/items")
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync(path);
            response.EnsureSuccessStatusCode();
        }
    }

    public static double ChiSquare(IReadOnlyList<int> observed, IReadOnlyList<double> expectedShares)
    {
        var total = observed.Sum();
        var sum = 0d;
        for (var i = 0; i < observed.Count; i++)
        {
            var expected = total * expectedShares[i];
            sum += (observed[i] - expected) * (observed[i] - expected) / expected;
        }

        return sum;
    }
}

/// <summary>A few real backends started together and stopped together.</summary>
public sealed class BackendSet : IAsyncDisposable
{
    private BackendSet(TestBackend[] backends) => All = backends;

    public TestBackend[] All { get; }

    public TestBackend this[int index] => All[index];

    public int[] Counts => All.Select(b => b.RequestCount).ToArray();

    public static async Task<BackendSet> StartAsync(int count, string prefix = "b") =>
        new(await Task.WhenAll(Enumerable.Range(0, count).Select(i => TestBackend.StartAsync($"{prefix}{i}"))));

    /// <summary>Zeroes counters and delays, so a shared set starts each test clean.</summary>
    public void Reset()
    {
        foreach (var backend in All)
        {
            backend.ResetCount();
            backend.Delay = TimeSpan.Zero;
            backend.StatusCode = 200;
            backend.Received.Clear();
            backend.HostHeaders.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in All)
        {
            await backend.DisposeAsync();
        }
    }
}

/// <summary>Three backends shared by the tests of one class (tests within a class run one at a time).</summary>
public sealed class ThreeBackendsFixture : IAsyncLifetime
{
    public BackendSet Backends { get; private set; } = null!;

    public async Task InitializeAsync() => Backends = await BackendSet.StartAsync(3);

    public async Task DisposeAsync() => await Backends.DisposeAsync();
}

/// <summary>
/// An in-memory configuration source whose data a test replaces and reloads at a moment of its choosing: the
/// deterministic stand-in for a watched appsettings file.
/// </summary>
public sealed class ReloadableConfigurationSource(IDictionary<string, string?> initial) : IConfigurationSource
{
    public ReloadableConfigurationProvider Provider { get; } = new(initial);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
}

public sealed class ReloadableConfigurationProvider : ConfigurationProvider
{
    public ReloadableConfigurationProvider(IDictionary<string, string?> initial) =>
        Data = new Dictionary<string, string?>(initial, StringComparer.OrdinalIgnoreCase);

    /// <summary>Replaces every key and raises the reload token, as a file provider does after a change.</summary>
    public void Replace(IDictionary<string, string?> data)
    {
        Data = new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
        OnReload();
    }
}

/// <summary>Self-signed server certificates made in the test, and HTTPS backends that present them.</summary>
public static class TestCertificates
{
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>A self-signed server certificate whose only subject alternative name is the DNS name given.</summary>
    public static X509Certificate2 CreateSelfSigned(string dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthenticationOid)], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        // A round trip through PKCS#12 gives a key that SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public static Task<TestBackend> StartHttpsBackendAsync(string name, X509Certificate2 certificate) =>
        TestBackend.StartAsync(name, l => l.Options.Listen(IPAddress.Loopback, 0, o => o.UseHttps(certificate)));
}
