using System.Text;
using Loadstone.Discovery.Etcd;
using Loadstone.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone.Discovery.Tests.Etcd;

/// <summary>etcd sources from configuration, their validation, and the endpoint document's format.</summary>
public sealed class EtcdDiscoveryConfigurationTests
{
    private const string Key = "LoadBalancing:Services:catalog:Discovery:Etcd";

    [Fact]
    public async Task AddEtcdDiscovery_SectionInConfiguration_RequestsReachTheEndpointsUnderThePrefix()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var backend = await TestBackend.StartAsync("b0");
        var prefix = $"/services/catalog-{Guid.NewGuid():N}/";
        await etcd.PutEndpointAsync(prefix + "b0", backend.Address.ToString());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{Key}:Endpoints:0"] = etcd.ClientUrl,
            [$"{Key}:Prefix"] = prefix,
            [$"{Key}:RetryDelay"] = "00:00:00.2",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddEtcdDiscovery();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        Assert.Equal("b0", await client.GetStringAsync("/items"));
        Assert.Equal($"etcd:{prefix}", Assert.Single(provider.GetRequiredService<EtcdSourceFactory>().Created).Name);
    }

    [Fact]
    public async Task AddEtcdDiscovery_SectionWithProblems_StartupErrorNamesEachKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{Key}:Endpoints:0"] = "127.0.0.1:2379",
            [$"{Key}:RequestTimeout"] = "00:10:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddEtcdDiscovery();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));

        Assert.Contains($"Service 'catalog': etcd discovery Endpoints:0 ({Key}:Endpoints:0) is '127.0.0.1:2379'; it must be an http or https URL such as http://10.0.0.10:2379.", error.Failures);
        Assert.Contains($"Service 'catalog': etcd discovery Prefix ({Key}:Prefix) is missing; set the key prefix of the service's endpoints, e.g. /services/catalog/.", error.Failures);
        Assert.Contains($"Service 'catalog': etcd discovery RequestTimeout ({Key}:RequestTimeout) is 00:10:00; it must be between 00:00:00.1000000 and 00:05:00.", error.Failures);
    }

    [Fact]
    public void Options_Defaults_HaveTheDocumentedValues()
    {
        var source = new EtcdDiscoveryOptions();
        var registration = new EtcdRegistrationOptions();

        Assert.True(source.AllowsEmpty);
        Assert.Equal(TimeSpan.FromSeconds(5), source.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), source.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), source.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), registration.LeaseTtl);
        Assert.Equal(TimeSpan.FromSeconds(5), registration.DrainDelay);
        Assert.Equal(1, registration.Weight);
        Assert.Equal(TimeSpan.FromSeconds(5), registration.MaxRetryDelay);
    }

    [Fact]
    public void Document_RoundTrip_KeepsEveryAttribute()
    {
        var endpoint = new LoadBalancedEndpoint("https://10.0.1.5:8443/api", "eu-west-1a", 40, new Dictionary<string, string> { ["version"] = "1.4.2" }, "dashboard")
        {
            HostName = "n1.catalog.test",
        };

        var json = EtcdEndpointDocument.From(endpoint).ToUtf8Json();
        var parsed = EtcdEndpointDocument.TryParse(json, out var problem);

        Assert.Null(problem);
        Assert.Equal("""{"address":"https://10.0.1.5:8443/api","zone":"eu-west-1a","weight":40,"name":"dashboard","hostName":"n1.catalog.test","metadata":{"version":"1.4.2"}}""", Encoding.UTF8.GetString(json));
        Assert.Equal(endpoint, parsed);
        Assert.Equal((endpoint.Zone, endpoint.Weight, endpoint.Name, endpoint.HostName, endpoint.Metadata["version"]),
            (parsed!.Zone, parsed.Weight, parsed.Name, parsed.HostName, parsed.Metadata["version"]));
    }

    [Theory]
    [InlineData("""{"address":"10.0.0.5:8080"}""", "'10.0.0.5:8080' has no scheme; write it as http://10.0.0.5:8080 or https://10.0.0.5:8080.")]
    [InlineData("""{"address":"http://10.0.0.5:0"}""", "'http://10.0.0.5:0' has port 0; a port must be between 1 and 65535.")]
    [InlineData("""{"address":"http://10.0.0.5:70000"}""", "'http://10.0.0.5:70000' has port 70000; a port must be between 1 and 65535.")]
    [InlineData("""{"address":"ftp://10.0.0.5"}""", "scheme")]
    [InlineData("""{"address":"http://10.0.0.5","weight":-1}""", "10000")]
    [InlineData("""{"address":"http://10.0.0.5","hostName":"a b"}""", "'a b' is not a DNS host name.")]
    [InlineData("""[1,2]""", "not a JSON endpoint document")]
    [InlineData("""null""", "it has no \"address\"")]
    public void Document_BadValue_SaysWhatIsWrong(string json, string expected)
    {
        Assert.Null(EtcdEndpointDocument.TryParse(Encoding.UTF8.GetBytes(json), out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
