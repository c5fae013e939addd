using System.Text;
using Loadstone.Tests;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.ServiceDiscovery.Tests;

/// <summary>
/// Microsoft.Extensions.ServiceDiscovery's configuration semantics (scheme preference, named endpoints, host:port
/// entries, the first existing section, empty sections, reloads), case by case: what a request reaches with
/// ServiceDiscovery alone, and what it reaches through Loadstone with the bridge, against real backends (three http,
/// two https). The table in docs/integrations.md is this list.
/// </summary>
public sealed class ConfigurationSemanticsTests : IClassFixture<ConfigurationSemanticsTests.Backends>
{
    private const int RequestsPerCase = 6;
    private readonly Backends _backends;

    public ConfigurationSemanticsTests(Backends backends) => _backends = backends;

    /// <summary>
    /// Each case: configuration (addresses written as {b0}..{b2} for the http backends and {s0}, {s1} for the https ones,
    /// {p:b0} for a bare port), the request, what ServiceDiscovery reaches, and, where Loadstone deliberately differs, why.
    /// </summary>
    public static TheoryData<string, string, string, string, string?> Cases => new()
    {
        { "array of URIs", "http:0={b0};http:1={b1}", "http://catalog", "b0,b1", null },
        { "host:port entries", "http:0=127.0.0.1:{p:b0};http:1=127.0.0.1:{p:b1}", "http://catalog", "b0,b1", null },
        { "single string", "http={b2}", "http://catalog", "b2", null },
        { "https+http prefers https", "http:0={b0};https:0={s0}", "https+http://catalog", "s0", null },
        { "http://catalog takes http only", "http:0={b0};https:0={s0}", "http://catalog", "b0", null },
        { "https://catalog takes https only", "http:0={b0};https:0={s0}", "https://catalog", "s0", null },
        { "https+http falls back to http", "http:0={b0};http:1={b1}", "https+http://catalog", "b0,b1", null },
        { "http+https prefers http", "http:0={b0};https:0={s0}", "http+https://catalog", "b0", null },
        { "default section wins over http", "default={b0};http={b1}", "http://catalog", "b0", null },
        { "default section with both schemes, http", "default:0={b0};default:1={s0}", "http://catalog", "b0", null },
        { "default section with both schemes, https+http", "default:0={b0};default:1={s0}", "https+http://catalog", "s0", null },
        { "host:port under https, https+http", "https:0=127.0.0.1:{p:s1}", "https+http://catalog", "s1", null },
        { "named endpoint", "http:0={b0};dashboard={b1}", "http://_dashboard.catalog", "b1", null },
        { "named endpoint, host:port", "http:0={b0};dashboard:0=127.0.0.1:{p:b2}", "http://_dashboard.catalog", "b2", null },
        { "named endpoint, scheme preference", "http:0={b0};dashboard:0={b1};dashboard:1={s1}", "https+http://_dashboard.catalog", "s1", null },
        { "named endpoint does not serve plain requests", "http:0={b0};dashboard={b1}", "http://catalog", "b0", null },
        {
            "empty https section, https+http", "https=;http:0={b0}", "https+http://catalog", "error",
            "b0: the empty https section makes ServiceDiscovery pick it and fall through to DNS (pass-through); the bridge keeps the http endpoints."
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Request_ReachesWhatServiceDiscoveryResolves(string name, string configuration, string request, string expected, string? difference)
    {
        var settings = Settings(configuration);

        var alone = await SendAsync(settings, request, bridge: false);
        var bridged = await SendAsync(settings, request, bridge: true);

        Assert.True(expected == alone, $"{name}: ServiceDiscovery alone reached {alone}, the table says {expected}.");
        var loadstoneExpected = difference is null ? expected : difference[..difference.IndexOf(':', StringComparison.Ordinal)];
        Assert.True(loadstoneExpected == bridged, $"{name}: through Loadstone the request reached {bridged}; expected {loadstoneExpected}.");
    }

    [Fact]
    public async Task EmptyArrayInAppSettings_DoesNotHideHttpsEntriesOfALaterSource()
    {
        // appsettings.json says "https": [] (read as an empty value); an environment variable adds an https entry below it.
        var json = """{ "Services": { "catalog": { "http": [ "{b0}" ], "https": [] } } }""".Replace("{b0}", _backends.Http[0].Address.ToString(), StringComparison.Ordinal);
        var later = new Dictionary<string, string?> { ["Services:catalog:https:0"] = _backends.Https[0].Address.ToString() };
        IConfiguration Build() => new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddInMemoryCollection(later)
            .Build();

        var alone = await SendAsync(Build(), "https+http://catalog", bridge: false);
        var bridged = await SendAsync(Build(), "https+http://catalog", bridge: true);
        var builtIn = await SendAsync(Build(), "https+http://catalog", bridge: false, loadstoneReader: true);

        Assert.Equal("s0", alone);
        Assert.Equal("s0", bridged);
        Assert.Equal("s0", builtIn);
    }

    [Fact]
    public async Task Reload_AddsAndRemovesEndpoints_InBothAlike()
    {
        var initial = new Dictionary<string, string?>
        {
            ["Services:catalog:http:0"] = _backends.Http[0].Address.ToString(),
            ["LoadBalancing:Services:catalog:Strategy"] = LoadBalancingStrategies.RoundRobin,
        };
        var aloneSource = new ReloadableConfigurationSource(initial);
        var bridgedSource = new ReloadableConfigurationSource(initial);
        await using var alone = Build(new ConfigurationBuilder().Add(aloneSource).Build(), bridge: false);
        await using var bridged = Build(new ConfigurationBuilder().Add(bridgedSource).Build(), bridge: true);
        Assert.Equal("b0", await SendAsync(alone, "http://catalog"));
        Assert.Equal("b0", await SendAsync(bridged, "http://catalog"));

        var changed = new Dictionary<string, string?>(initial)
        {
            ["Services:catalog:http:0"] = _backends.Http[1].Address.ToString(),
            ["Services:catalog:http:1"] = _backends.Http[2].Address.ToString(),
        };
        aloneSource.Provider.Replace(changed);
        bridgedSource.Provider.Replace(changed);

        // Both notice the reload through change tokens, ServiceDiscovery on its next resolution, Loadstone's pool at once.
        var pool = bridged.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await Eventually.ThatAsync(() => pool.Endpoints.Count(e => e.Health != EndpointHealth.Draining), n => n == 2);
        Assert.Equal("b1,b2", await SendAsync(alone, "http://catalog"));
        Assert.Equal("b1,b2", await SendAsync(bridged, "http://catalog"));
    }

    private Dictionary<string, string?> Settings(string configuration)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var pair in configuration.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var value = pair[(equals + 1)..];
            for (var i = 0; i < _backends.Http.Length; i++)
            {
                value = value.Replace($"{{b{i}}}", _backends.Http[i].Address.ToString(), StringComparison.Ordinal)
                    .Replace($"{{p:b{i}}}", _backends.Http[i].Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            for (var i = 0; i < _backends.Https.Length; i++)
            {
                value = value.Replace($"{{s{i}}}", _backends.Https[i].Address.ToString(), StringComparison.Ordinal)
                    .Replace($"{{p:s{i}}}", _backends.Https[i].Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            settings[$"Services:catalog:{pair[..equals]}"] = value;
        }

        settings["LoadBalancing:Services:catalog:Strategy"] = LoadBalancingStrategies.RoundRobin;
        return settings;
    }

    private async Task<string> SendAsync(Dictionary<string, string?> settings, string request, bool bridge) =>
        await SendAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), request, bridge);

    private async Task<string> SendAsync(IConfiguration configuration, string request, bool bridge, bool loadstoneReader = false)
    {
        await using var services = Build(configuration, bridge, loadstoneReader);
        var reached = await SendAsync(services, request);
        if ((bridge || loadstoneReader) && reached != "error")
        {
            // Loadstone balanced every request: its pool counted them (ServiceDiscovery's handler did not resolve them).
            var pool = services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
            Assert.Equal(RequestsPerCase, pool.Endpoints.Sum(e => e.TotalRequests));
        }

        return reached;
    }

    /// <summary>ServiceDiscovery alone, Loadstone with the bridge, or Loadstone with its own reader of the Services section.</summary>
    private static ServiceProvider Build(IConfiguration configuration, bool bridge, bool loadstoneReader = false)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        if (loadstoneReader)
        {
            services.AddLoadBalancedService("catalog");
            services.AddHttpClient("client").AddLoadBalancing().ConfigurePrimaryHttpMessageHandler(Backends.TrustingHandler);
            return services.BuildServiceProvider();
        }

        services.AddServiceDiscovery();
        if (bridge)
        {
            services.AddServiceDiscoveryLoadBalancing();
        }

        services.AddHttpClient("client").AddServiceDiscovery().ConfigurePrimaryHttpMessageHandler(Backends.TrustingHandler);
        return services.BuildServiceProvider();
    }

    /// <summary>Sends the requests; returns the backends that answered (sorted, comma-separated), or "error".</summary>
    private static async Task<string> SendAsync(IServiceProvider services, string request)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("client");
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < RequestsPerCase; i++)
            {
                using var response = await client.GetAsync($"{request}/items");
                response.EnsureSuccessStatusCode();
                reached.Add(await response.Content.ReadAsStringAsync());
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or NoAvailableEndpointException or InvalidOperationException)
        {
            return "error";
        }

        return string.Join(",", reached);
    }

    public sealed class Backends : IAsyncLifetime
    {
        private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

        public TestBackend[] Http { get; private set; } = [];

        public TestBackend[] Https { get; private set; } = [];

        /// <summary>Both clients accept the backends' self-signed certificate (issued for localhost, reached by IP).</summary>
        public static HttpMessageHandler TrustingHandler() => new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };

        public async Task InitializeAsync()
        {
            _certificate = TestCertificates.CreateSelfSigned("localhost");
            Http = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => TestBackend.StartAsync($"b{i}")));
            Https = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => TestCertificates.StartHttpsBackendAsync($"s{i}", _certificate)));
        }

        public async Task DisposeAsync()
        {
            foreach (var backend in Http.Concat(Https))
            {
                await backend.DisposeAsync();
            }

            _certificate?.Dispose();
        }
    }
}
