using Loadstone.Discovery.Dns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone.Discovery.Tests.Dns;

/// <summary>DNS source options: every problem reported at start-up, naming the service, the setting and its key.</summary>
public sealed class DnsDiscoveryOptionsTests
{
    private const string Key = "LoadBalancing:Services:catalog:Discovery:Dns";

    [Fact]
    public void Validate_Defaults_HaveTheDocumentedValues()
    {
        var options = new DnsDiscoveryOptions();

        Assert.Equal("http", options.Scheme);
        Assert.Equal(DnsAddressFamily.Any, options.AddressFamily);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MinRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), options.QueryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxRetryDelay);
        Assert.False(options.AllowsEmpty);
        Assert.Null(options.NameServer);
        Assert.Empty(options.SearchDomains);
    }

    [Fact]
    public void Validate_NeitherSrvNameNorHostName_SaysWhatToSet()
    {
        Assert.Equal(
            [$"Service 'catalog': DNS discovery needs SrvName ({Key}:SrvName), e.g. _http._tcp.catalog.ns.svc.cluster.local, or HostName and Port ({Key}:HostName, {Key}:Port) for A/AAAA records."],
            DnsDiscoveryOptionsValidator.Validate("catalog", new DnsDiscoveryOptions()));
    }

    [Fact]
    public void Validate_EveryProblem_ReportedTogether()
    {
        var options = new DnsDiscoveryOptions
        {
            HostName = "catalog..test",
            Scheme = "ftp",
            NameServer = "dns.local",
            MinRefreshInterval = TimeSpan.Zero,
            MaxRefreshInterval = TimeSpan.FromDays(2),
            QueryTimeout = TimeSpan.FromMinutes(5),
            RetryDelay = TimeSpan.FromSeconds(10),
            MaxRetryDelay = TimeSpan.FromSeconds(5),
        };
        options.SearchDomains.Add("bad domain");

        Assert.Equal(
        [
            $"Service 'catalog': DNS discovery HostName ({Key}:HostName) is 'catalog..test', which is not a DNS host name.",
            $"Service 'catalog': DNS discovery Port ({Key}:Port) is missing; A/AAAA records carry no port, so set the port the instances listen on (1 to 65535).",
            $"Service 'catalog': DNS discovery Scheme ({Key}:Scheme) is 'ftp'; it must be http or https.",
            $"Service 'catalog': DNS discovery NameServer ({Key}:NameServer) is 'dns.local'; write an IP address with an optional port, e.g. 10.96.0.10, 127.0.0.1:5353 or [fd00::a]:53.",
            $"Service 'catalog': DNS discovery SearchDomains:0 ({Key}:SearchDomains:0) is 'bad domain', which is not a DNS name.",
            $"Service 'catalog': DNS discovery MinRefreshInterval ({Key}:MinRefreshInterval) is 00:00:00; it must be between 00:00:00.1000000 and 01:00:00.",
            $"Service 'catalog': DNS discovery MaxRefreshInterval ({Key}:MaxRefreshInterval) is 2.00:00:00; it must be between 00:00:00 (from MinRefreshInterval) and 1.00:00:00.",
            $"Service 'catalog': DNS discovery QueryTimeout ({Key}:QueryTimeout) is 00:05:00; it must be between 00:00:00.1000000 and 00:01:00.",
            $"Service 'catalog': DNS discovery MaxRetryDelay ({Key}:MaxRetryDelay) is 00:00:05; it must be between 00:00:10 (from RetryDelay) and 01:00:00.",
        ],
            DnsDiscoveryOptionsValidator.Validate("catalog", options));
    }

    [Theory]
    [InlineData("10.96.0.10", "10.96.0.10:53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("[fd00::a]:53", "[fd00::a]:53")]
    [InlineData("fd00::a", "[fd00::a]:53")]
    public void TryParseNameServer_AddressWithOptionalPort_Parses(string text, string expected)
    {
        Assert.True(DnsDiscoveryOptionsValidator.TryParseNameServer(text, out var endpoint));
        Assert.Equal(expected, endpoint.ToString());
    }

    [Fact]
    public void Validate_SrvNameAndPort_PortIsRejectedBecauseRecordsCarryPorts()
    {
        var problems = DnsDiscoveryOptionsValidator.Validate("catalog", new DnsDiscoveryOptions { SrvName = "_http._tcp.catalog", Port = 80 });

        Assert.Equal([$"Service 'catalog': DNS discovery Port ({Key}:Port) is set, but SRV records carry their own ports; remove it."], problems);
    }

    [Fact]
    public async Task AddDnsDiscovery_SectionWithATypoAndABadValue_StartupErrorNamesBothKeys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{Key}:SrvNmae"] = "_http._tcp.catalog.test",
            [$"{Key}:HostName"] = "catalog.test",
            [$"{Key}:Port"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddDnsDiscovery().AddDnsDiscovery();
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));

        Assert.Contains($"Service 'catalog': DNS discovery SrvNmae ({Key}:SrvNmae) is not a known setting; DNS discovery has SrvName, HostName, Port, Scheme, Zone, AddressFamily, NameServer, SearchDomains, MinRefreshInterval, MaxRefreshInterval, QueryTimeout, RetryDelay, MaxRetryDelay, AllowsEmpty. Did you mean SrvName?", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Service 'catalog': DNS discovery Port ({Key}:Port) is 0; it must be between 1 and 65535.", error.Message, StringComparison.Ordinal);
        Assert.Single(provider.GetServices<IEndpointSourceProvider>());
    }

    [Fact]
    public async Task AddDnsSrvSource_InvalidOptions_StartupFailsWithTheProblems()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedService("catalog").AddDnsSrvSource("_http._tcp.catalog.test", o => o.MinRefreshInterval = TimeSpan.FromHours(2));
        services.AddHttpClient("catalog").AddLoadBalancing();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));

        Assert.Contains($"Service 'catalog': DNS discovery MinRefreshInterval ({Key}:MinRefreshInterval) is 02:00:00; it must be between 00:00:00.1000000 and 01:00:00.", error.Message, StringComparison.Ordinal);
    }
}
