using System.Net;
using Loadstone.Tests;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.ServiceDiscovery;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.ServiceDiscovery.Tests;

/// <summary>The bridge with providers other than configuration: features, named endpoints, polling, and start-up.</summary>
public sealed class ServiceDiscoveryEndpointSourceTests
{
    [Fact]
    public async Task ProviderFeatures_GiveZoneWeightMetadataAndHostName()
    {
        var provider = new ListProvider("catalog");
        provider.Set(Endpoint("http://10.0.0.1:8080", new LoadBalancedEndpointFeature { Zone = "eu-1a", Weight = 3, Metadata = new Dictionary<string, string> { ["version"] = "2" } }, "catalog.internal"));
        await using var services = Build(provider);

        var pool = services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();

        var endpoint = Assert.Single(pool.Endpoints).Endpoint;
        Assert.Equal("eu-1a", endpoint.Zone);
        Assert.Equal(3, endpoint.Weight);
        Assert.Equal("2", endpoint.Metadata["version"]);
        Assert.Equal("catalog.internal", endpoint.HostName);
        Assert.Null(endpoint.Name);
    }

    [Fact]
    public async Task EndpointNames_ResolveNamedEndpointsOfAnyProvider()
    {
        var provider = new ListProvider("catalog");
        provider.Set(Endpoint("http://10.0.0.1:8080"));
        provider.SetNamed("dashboard", Endpoint("http://10.0.0.9:9090"));
        await using var services = Build(provider, o => o.EndpointNames.Add("dashboard"));

        var pool = services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();

        Assert.Equal(["http://10.0.0.1:8080|", "http://10.0.0.9:9090|dashboard"],
            pool.Endpoints.Select(e => $"{e.Endpoint.Id}|{e.Endpoint.Name}").Order().ToArray());
    }

    [Fact]
    public async Task ProviderWithoutChangeNotification_IsAskedAgainAfterRefreshPeriod()
    {
        var clock = TestClock.Create();
        var provider = new ListProvider("catalog");
        provider.Set(Endpoint("http://10.0.0.1:8080"));
        await using var services = Build(provider, configureServices: s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.Configure<ServiceDiscoveryOptions>(o => o.RefreshPeriod = TimeSpan.FromSeconds(30));
        });
        var pool = services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();
        Assert.Single(pool.Endpoints);

        provider.Set(Endpoint("http://10.0.0.1:8080"), Endpoint("http://10.0.0.2:8080"));
        var members = 0;
        for (var period = 0; period < 3 && members != 2; period++)
        {
            // ServiceDiscovery's watcher and the bridge both poll on the period; a change shows within two.
            clock.Advance(TimeSpan.FromSeconds(30));
            members = await Eventually.ThatAsync(() => pool.Endpoints.Count(e => e.Health != EndpointHealth.Draining), n => n == 2, TimeSpan.FromSeconds(1));
        }

        Assert.Equal(2, members);
    }

    [Fact]
    public async Task ServicesSection_IsReadOnce_WithServiceDiscoverysRules()
    {
        // Loadstone's own reader would list both sections; ServiceDiscovery reads the first that exists: default.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:catalog:default"] = "http://10.0.0.1:8080",
            ["Services:catalog:http"] = "http://10.0.0.2:8080",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddServiceDiscoveryLoadBalancing();
        await using var provider = services.BuildServiceProvider();

        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();

        Assert.Equal("http://10.0.0.1:8080", Assert.Single(pool.Endpoints).Endpoint.Id);
    }

    [Fact]
    public async Task WithoutAddServiceDiscovery_TheBridgeRegistersTheDefaultProviders()
    {
        await using var backend = await TestBackend.StartAsync("b0");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:catalog:http:0"] = backend.Address.ToString(),
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddServiceDiscoveryLoadBalancing();
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog")).AddLoadBalancing();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        Assert.Equal("b0", await client.GetStringAsync("/items"));
        Assert.Equal(1, backend.RequestCount);
    }

    private static ServiceProvider Build(ListProvider provider, Action<ServiceDiscoveryLoadBalancingOptions>? configure = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddServiceDiscoveryCore();
        services.AddSingleton<IServiceEndpointProviderFactory>(provider);
        configureServices?.Invoke(services);
        services.AddServiceDiscoveryLoadBalancing(configure);
        services.AddLoadBalancedService("catalog");
        return services.BuildServiceProvider();
    }

    private static ServiceEndpoint Endpoint(string uri, LoadBalancedEndpointFeature? feature = null, string? hostName = null)
    {
        var features = new FeatureCollection();
        if (feature is not null)
        {
            features.Set(feature);
        }

        if (hostName is not null)
        {
            features.Set<IHostNameFeature>(new HostName(hostName));
        }

        return ServiceEndpoint.Create(new UriEndPoint(new Uri(uri)), features);
    }

    private sealed record HostName(string Value) : IHostNameFeature
    {
        string IHostNameFeature.HostName => Value;
    }

    /// <summary>A provider with no change notification, answering from lists the test sets (as a polling registry would).</summary>
    private sealed class ListProvider(string serviceName) : IServiceEndpointProviderFactory
    {
        private volatile ServiceEndpoint[] _unnamed = [];
        private volatile Dictionary<string, ServiceEndpoint[]> _named = [];

        public void Set(params ServiceEndpoint[] endpoints) => _unnamed = endpoints;

        public void SetNamed(string name, params ServiceEndpoint[] endpoints) =>
            _named = new Dictionary<string, ServiceEndpoint[]>(_named) { [name] = endpoints };

        public bool TryCreateProvider(ServiceEndpointQuery query, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IServiceEndpointProvider? provider)
        {
            provider = query.ServiceName == serviceName ? new Provider(this, query.EndpointName) : null;
            return provider is not null;
        }

        private sealed class Provider(ListProvider owner, string? endpointName) : IServiceEndpointProvider
        {
            public ValueTask PopulateAsync(IServiceEndpointBuilder endpoints, CancellationToken cancellationToken)
            {
                var answer = endpointName is null ? owner._unnamed : owner._named.GetValueOrDefault(endpointName, []);
                foreach (var endpoint in answer)
                {
                    endpoints.Endpoints.Add(endpoint);
                }

                return default;
            }

            public ValueTask DisposeAsync() => default;
        }
    }
}
