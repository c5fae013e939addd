using Loadstone.Discovery.Dns;
using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// Invalid Discovery:Dns and Discovery:Etcd sections, one per row, each with the exact start-up message (naming the
/// service, the setting and its key). Rows are <c>Key=Value</c> pairs separated by <c> | </c>, relative to the section.
/// </summary>
public sealed class DiscoveryValidationMatrixTests
{
    private const string Dns = "LoadBalancing:Services:catalog:Discovery:Dns";
    private const string Etcd = "LoadBalancing:Services:catalog:Discovery:Etcd";
    private const string D = "Service 'catalog': DNS discovery ";
    private const string E = "Service 'catalog': etcd discovery ";
    private const string TimeSpanFormat = "write a time span as [d.]hh:mm:ss[.fffffff], e.g. 00:00:10 for 10 seconds or 00:05:00 for 5 minutes.";
    private const string DnsSettings = "DNS discovery has SrvName, HostName, Port, Scheme, Zone, AddressFamily, NameServer, SearchDomains, MinRefreshInterval, MaxRefreshInterval, QueryTimeout, RetryDelay, MaxRetryDelay, AllowsEmpty.";
    private const string EtcdSettings = "etcd discovery has Endpoints, Prefix, AllowsEmpty, RequestTimeout, RetryDelay, MaxRetryDelay.";

    public static TheoryData<string, string> DnsRows => new()
    {
        { "SrvNmae=_http._tcp.catalog.test", $"{D}SrvNmae ({Dns}:SrvNmae) is not a known setting; {DnsSettings} Did you mean SrvName?" },
        { "Weight=3", $"{D}Weight ({Dns}:Weight) is not a known setting; {DnsSettings}" },
        { "AddressFamily=IPv5", $"{D}AddressFamily ({Dns}:AddressFamily) is 'IPv5'; use one of Any, IPv4, IPv6." },
        { "AddressFamily=4", $"{D}AddressFamily ({Dns}:AddressFamily) is '4'; use one of Any, IPv4, IPv6." },
        { "HostName=catalog.test | Port=http", $"{D}Port ({Dns}:Port) is 'http'; it must be a whole number." },
        { "HostName=catalog.test | Port=0", $"{D}Port ({Dns}:Port) is 0; it must be between 1 and 65535." },
        { "HostName=catalog.test | Port=70000", $"{D}Port ({Dns}:Port) is 70000; it must be between 1 and 65535." },
        { "HostName=catalog.test", $"{D}Port ({Dns}:Port) is missing; A/AAAA records carry no port, so set the port the instances listen on (1 to 65535)." },
        { "Port=8080", $"{D}Port ({Dns}:Port) is set, but SRV records carry their own ports; remove it." },
        { "HostName=catalog.test | SrvName=_http._tcp.catalog.test | Port=80", $"Service 'catalog': DNS discovery has both SrvName and HostName ({Dns}); set SrvName for SRV records or HostName and Port for A/AAAA records, not both." },
        { "MinRefreshInterval=1s", $"{D}MinRefreshInterval ({Dns}:MinRefreshInterval) is '1s'; {TimeSpanFormat}" },
        { "QueryTimeout=3", $"{D}QueryTimeout ({Dns}:QueryTimeout) is 3.00:00:00; it must be between 00:00:00.1000000 and 00:01:00." },
        { "AllowsEmpty=yes", $"{D}AllowsEmpty ({Dns}:AllowsEmpty) is 'yes'; use true or false." },
        { "SearchDomains=svc.cluster.local", $"{D}SearchDomains ({Dns}:SearchDomains) is an array, not a single value ('svc.cluster.local'); write its entries as SearchDomains:0, SearchDomains:1, ..." },
        { "SearchDomains:first=svc.cluster.local", $"{D}SearchDomains:first ({Dns}:SearchDomains:first) is not an array index; SearchDomains is an array, written SearchDomains:0, SearchDomains:1, ..." },
        { "SrvName:0=_http._tcp.catalog.test", $"{D}SrvName ({Dns}:SrvName) is a single value, not a section, so SrvName:0 is not a setting." },
        { "Scheme=ftp", $"{D}Scheme ({Dns}:Scheme) is 'ftp'; it must be http or https." },
        { "NameServer=dns.local", $"{D}NameServer ({Dns}:NameServer) is 'dns.local'; write an IP address with an optional port, e.g. 10.96.0.10, 127.0.0.1:5353 or [fd00::a]:53." },
        { "RetryDelay=00:00:10 | MaxRetryDelay=00:00:05", $"{D}MaxRetryDelay ({Dns}:MaxRetryDelay) is 00:00:05; it must be between 00:00:10 (from RetryDelay) and 01:00:00." },
    };

    public static TheoryData<string, string> EtcdRows => new()
    {
        { "Prefx=/services/catalog/", $"{E}Prefx ({Etcd}:Prefx) is not a known setting; {EtcdSettings} Did you mean Prefix?" },
        { "RequestTimeout=5s", $"{E}RequestTimeout ({Etcd}:RequestTimeout) is '5s'; {TimeSpanFormat}" },
        { "AllowsEmpty=sometimes", $"{E}AllowsEmpty ({Etcd}:AllowsEmpty) is 'sometimes'; use true or false." },
        { "Endpoints=http://127.0.0.1:2379", $"{E}Endpoints ({Etcd}:Endpoints) is an array, not a single value ('http://127.0.0.1:2379'); write its entries as Endpoints:0, Endpoints:1, ..." },
        { "Endpoints:primary=http://127.0.0.1:2379", $"{E}Endpoints:primary ({Etcd}:Endpoints:primary) is not an array index; Endpoints is an array, written Endpoints:0, Endpoints:1, ..." },
        { "Endpoints:0=127.0.0.1:2379", $"{E}Endpoints:0 ({Etcd}:Endpoints:0) is '127.0.0.1:2379'; it must be an http or https URL such as http://10.0.0.10:2379." },
        { "Prefix=", $"{E}Prefix ({Etcd}:Prefix) is missing; set the key prefix of the service's endpoints, e.g. /services/catalog/." },
        { "RetryDelay=00:00:00.001", $"{E}RetryDelay ({Etcd}:RetryDelay) is 00:00:00.0010000; it must be between 00:00:00.0100000 and 01:00:00." },
    };

    [Theory]
    [MemberData(nameof(DnsRows))]
    public async Task Dns_InvalidSection_StartupFailsWithTheMessage(string settings, string expected)
    {
        var data = Settings(Dns, settings);
        if (!settings.Contains("SrvName", StringComparison.Ordinal) && !settings.Contains("HostName", StringComparison.Ordinal))
        {
            data[$"{Dns}:SrvName"] = "_http._tcp.catalog.test";
        }

        var failures = await FailuresAsync(data, services => services.AddDnsDiscovery());

        Assert.Contains(expected, failures);
        Assert.All(failures, f => Assert.StartsWith("Service 'catalog'", f, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(EtcdRows))]
    public async Task Etcd_InvalidSection_StartupFailsWithTheMessage(string settings, string expected)
    {
        var data = Settings(Etcd, settings);
        data.TryAdd($"{Etcd}:Prefix", "/services/catalog/");
        if (!settings.Contains("Endpoints", StringComparison.Ordinal))
        {
            data[$"{Etcd}:Endpoints:0"] = "http://127.0.0.1:2379";
        }

        var failures = await FailuresAsync(data, services => services.AddEtcdDiscovery());

        Assert.Contains(expected, failures);
        Assert.All(failures, f => Assert.StartsWith("Service 'catalog'", f, StringComparison.Ordinal));
    }

    private static async Task<List<string>> FailuresAsync(Dictionary<string, string?> data, Action<IServiceCollection> discovery)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(data).Build());
        discovery(services);
        services.AddLoadBalancedHttpClient("catalog");
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<LoadBalancingOptions>>().Get("catalog"));
        return [.. error.Failures];
    }

    private static Dictionary<string, string?> Settings(string section, string settings)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in settings.Split(" | "))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            data[$"{section}:{pair[..equals]}"] = pair[(equals + 1)..];
        }

        return data;
    }
}
