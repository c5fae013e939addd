using Microsoft.Extensions.Configuration;

namespace Loadstone.Tests.Configuration;

/// <summary>Reading Microsoft.Extensions.ServiceDiscovery's schema, <c>Services:{service}:{endpointName}</c>.</summary>
public sealed class ServiceDiscoveryConfigurationTests
{
    [Theory]
    [InlineData("http", "10.0.0.5:8080", "http://10.0.0.5:8080")]
    [InlineData("https", "10.0.0.5:8443", "https://10.0.0.5:8443")]
    [InlineData("HTTPS", "10.0.0.5:8443", "https://10.0.0.5:8443")]
    [InlineData("default", "10.0.0.5:8080", "http://10.0.0.5:8080")]
    [InlineData("http", "catalog.internal", "http://catalog.internal")]
    [InlineData("https", "catalog.internal", "https://catalog.internal")]
    [InlineData("http", "[::1]:5000", "http://[::1]:5000")]
    [InlineData("http", " 10.0.0.5:8080 ", "http://10.0.0.5:8080")]
    [InlineData("http", "https://10.0.0.5:8443", "https://10.0.0.5:8443")]
    [InlineData("https", "http://10.0.0.5:8080/api", "http://10.0.0.5:8080/api")]
    public void AddEndpoints_UnnamedSection_AddressGetsSectionSchemeUnlessWrittenOut(string section, string value, string expected)
    {
        var options = Read(new() { [$"Services:catalog:{section}:0"] = value });

        Assert.Empty(options.ConfigurationProblems);
        var endpoint = Assert.Single(options.Endpoints);
        Assert.Equal(new LoadBalancedEndpoint(expected).Id, endpoint.Id);
        Assert.Null(endpoint.Name);
    }

    [Fact]
    public void AddEndpoints_DefaultPortOfScheme_WhenValueHasNoPort()
    {
        var options = Read(new()
        {
            ["Services:catalog:http"] = "a.internal",
            ["Services:catalog:https"] = "b.internal",
        });

        Assert.Equal([80, 443], options.Endpoints.Select(e => e.Address.Port));
    }

    [Fact]
    public void AddEndpoints_SingleStringAndArray_BothRead()
    {
        var options = Read(new()
        {
            ["Services:catalog:http"] = "10.0.0.1:80",
            ["Services:catalog:https:0"] = "10.0.0.2:443",
            ["Services:catalog:https:1"] = "10.0.0.3:443",
        });

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal(["http://10.0.0.1", "https://10.0.0.2", "https://10.0.0.3"], options.Endpoints.Select(e => e.Id));
    }

    [Fact]
    public void AddEndpoints_OtherSectionName_IsANamedEndpoint()
    {
        var options = Read(new()
        {
            ["Services:basket:https"] = "https://10.2.3.4:8080",
            ["Services:basket:dashboard"] = "https://10.2.3.4:9999",
            ["Services:basket:grpc:0"] = "10.2.3.4:5000",
        }, "basket");

        Assert.Empty(options.ConfigurationProblems);
        var byName = options.Endpoints.ToDictionary(e => e.Name ?? "(unnamed)", e => e.BaseAddress);
        Assert.Equal("https://10.2.3.4:8080", byName["(unnamed)"]);
        Assert.Equal("https://10.2.3.4:9999", byName["dashboard"]);
        Assert.Equal("http://10.2.3.4:5000", byName["grpc"]); // host:port outside https is http
    }

    [Fact]
    public void AddEndpoints_OtherServicesAndLoadBalancingSection_AreNotRead()
    {
        var options = Read(new()
        {
            ["Services:basket:http:0"] = "10.0.0.9:80",
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://10.0.0.8:80",
            ["Services:catalog:http:0"] = "10.0.0.1:80",
        });

        Assert.Equal(["http://10.0.0.1"], options.Endpoints.Select(e => e.Id));
    }

    [Fact]
    public void AddEndpoints_EmptySingleValue_ListsNothing()
    {
        var options = Read(new() { ["Services:catalog:http"] = "" });

        Assert.Empty(options.Endpoints);
        Assert.Empty(options.ConfigurationProblems);
    }

    [Theory]
    [InlineData("Services:catalog:http:primary", "10.0.0.5:80", "Services:catalog:http:primary: 'primary' is not an array index")]
    [InlineData("Services:catalog:http:0", "10.0.0.5:notaport", "Services:catalog:http:0: '10.0.0.5:notaport' is neither host:port")]
    [InlineData("Services:catalog:http:0", "   ", "Services:catalog:http:0: the address is empty")]
    [InlineData("Services:catalog:http:0:Address", "10.0.0.5:80", "Services:catalog:http:0: an entry must be an address string")]
    [InlineData("Services:catalog:http:0", "ftp://10.0.0.5", "Services:catalog:http:0: 'ftp://10.0.0.5' has scheme 'ftp'")]
    [InlineData("Services:catalog:https:0", "https://10.0.0.5/?x=1", "Services:catalog:https:0: 'https://10.0.0.5/?x=1' has a query or fragment")]
    [InlineData("Services:catalog:dashboard", "http://exa mple", "Services:catalog:dashboard: 'http://exa mple' is not an absolute URI")]
    public void AddEndpoints_BadEntry_ProblemNamesTheKey(string key, string value, string expectedStart)
    {
        var options = Read(new() { [key] = value, ["Services:catalog:http:9"] = "10.0.0.9:80" });

        var problem = Assert.Single(options.ConfigurationProblems);
        Assert.StartsWith(expectedStart, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", problem, StringComparison.Ordinal);
        Assert.Equal(["http://10.0.0.9"], options.Endpoints.Select(e => e.Id)); // the good entry is still read
    }

    [Fact]
    public void AddEndpoints_CredentialsInValue_ProblemDoesNotRevealThem()
    {
        var options = Read(new() { ["Services:catalog:http:0"] = "http://admin:hunter2@10.0.0.5" });

        var problem = Assert.Single(options.ConfigurationProblems);
        Assert.Contains("credentials", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Configure_BothSchemas_LoadBalancingEndpointsFirstThenServices()
    {
        var configuration = Configuration(new()
        {
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://10.0.0.1",
            ["Services:catalog:http:0"] = "10.0.0.2:80",
            ["Services:catalog:https:0"] = "10.0.0.3:443",
        });
        var options = new LoadBalancingOptions();

        new LoadBalancingConfiguration(configuration).Configure("catalog", options);

        Assert.Equal(["http://10.0.0.1", "http://10.0.0.2", "https://10.0.0.3"], options.Endpoints.Select(e => e.Id));
    }

    [Fact]
    public void Validate_SameAddressInBothSchemas_DuplicateNamesServiceAndAddress()
    {
        var configuration = Configuration(new()
        {
            ["LoadBalancing:Services:catalog:Endpoints:0"] = "http://10.0.0.1:8080",
            ["Services:catalog:http:0"] = "10.0.0.1:8080",
        });
        var options = new LoadBalancingOptions();
        new LoadBalancingConfiguration(configuration).Configure("catalog", options);

        var problems = new LoadBalancingOptionsValidator(StrategyCatalog.BuiltInOnly).Problems("catalog", options, default);

        Assert.Equal(["Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once."], problems);
    }

    private static LoadBalancingOptions Read(Dictionary<string, string?> settings, string service = "catalog")
    {
        var options = new LoadBalancingOptions();
        ServiceDiscoveryConfiguration.AddEndpoints(Configuration(settings), service, options);
        return options;
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
