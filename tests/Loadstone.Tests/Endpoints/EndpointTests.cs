using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Endpoints;

public sealed class EndpointTests
{
    [Theory]
    [InlineData("not a uri", "'not a uri' is not an absolute URI such as http://10.0.0.5:8080.")]
    [InlineData("http://10.0.0.5:99999", "'http://10.0.0.5:99999' has port 99999; a port must be between 1 and 65535.")]
    public void Constructor_MalformedAddress_ThrowsSayingWhy(string address, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Equal("address", ex.ParamName);
        Assert.Equal($"{expected} (Parameter 'address')", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Constructor_EmptyAddress_Throws(string address) =>
        Assert.ThrowsAny<ArgumentException>(() => new LoadBalancedEndpoint(address));

    [Theory]
    [InlineData("ftp://files.example:21", "ftp")]
    [InlineData("ws://10.0.0.5:8080", "ws")]
    public void Constructor_UnsupportedScheme_ThrowsNamingTheScheme(string address, string scheme)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Equal(
            $"'{address}' has scheme '{scheme}'; only http and https are supported. (Parameter 'address')",
            ex.Message);
    }

    [Theory]
    [InlineData("localhost:8080")]
    [InlineData("10.0.0.5:8080")]
    public void Constructor_NoScheme_SaysToWriteOne(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Equal(
            $"'{address}' has no scheme; write it as http://{address} or https://{address}. (Parameter 'address')",
            ex.Message);
    }

    [Theory]
    [InlineData("http://admin:hunter2@10.0.0.5:8080/")]
    [InlineData("https://admin:hunter2@catalog.internal/api")]
    [InlineData("http://hunter2@10.0.0.5:8080")]
    public void Constructor_CredentialsInAddress_ThrowsWithoutRevealingThem(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Contains("***@", ex.Message, StringComparison.Ordinal);
        Assert.Contains("carries credentials in the URI", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://admin:hunter2@10.0.0.5:99999/", "'http://***@10.0.0.5:99999/' has port 99999")]
    [InlineData("http://admin:hunter2@bad host/", "'http://***@bad host/' is not an absolute URI")]
    [InlineData("ftp://admin:hunter2@files.example/pub", "'ftp://***@files.example/pub' has scheme 'ftp'")]
    [InlineData("admin:hunter2@10.0.0.5:8080", "'***@10.0.0.5:8080' has scheme 'admin'")]
    public void Constructor_OtherwiseBadAddressWithCredentials_ThrowsWithoutRevealingThem(string address, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("admin:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.5:8080/?zone=a")]
    [InlineData("http://10.0.0.5:8080/api#top")]
    public void Constructor_QueryOrFragment_ThrowsSayingOnlyAPathPrefixIsAllowed(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));

        Assert.Equal(
            $"'{address}' has a query or fragment; an endpoint address may only have a path prefix. (Parameter 'address')",
            ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    [InlineData(int.MinValue)]
    public void Constructor_WeightOutOfRange_ThrowsNamingTheRange(int weight)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LoadBalancedEndpoint("http://10.0.0.5:8080", weight: weight));

        Assert.Equal("weight", ex.ParamName);
        Assert.StartsWith($"weight {weight} is outside the range 0-10000.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10_000)]
    public void Constructor_WeightInRange_Kept(int weight) =>
        Assert.Equal(weight, new LoadBalancedEndpoint("http://10.0.0.5:8080", weight: weight).Weight);

    [Fact]
    public void WithWeight_OutOfRange_Throws()
    {
        var endpoint = new LoadBalancedEndpoint("http://10.0.0.5:8080", zone: "a");

        Assert.Throws<ArgumentOutOfRangeException>(() => endpoint.WithWeight(10_001));
        var heavier = endpoint.WithWeight(7);
        Assert.Equal(7, heavier.Weight);
        Assert.Equal("a", heavier.Zone);
        Assert.Equal(endpoint, heavier);
    }

    [Theory]
    [InlineData("http://10.0.0.5:8080", "http://10.0.0.5:8080", "")]
    [InlineData("http://10.0.0.5:8080/", "http://10.0.0.5:8080", "")]
    [InlineData("http://10.0.0.5:8080/api/", "http://10.0.0.5:8080/api", "/api")]
    [InlineData("http://10.0.0.5:8080/api/v2", "http://10.0.0.5:8080/api/v2", "/api/v2")]
    [InlineData("https://Catalog.Internal:443/v1", "https://catalog.internal/v1", "/v1")]
    [InlineData("http://10.0.0.5:80", "http://10.0.0.5", "")]
    [InlineData("http://[::1]:5000/x", "http://[::1]:5000/x", "/x")]
    public void Constructor_PathPrefix_BaseAddressWithoutTrailingSlash(string address, string baseAddress, string prefix)
    {
        var endpoint = new LoadBalancedEndpoint(address);

        Assert.Equal(baseAddress, endpoint.BaseAddress);
        Assert.Equal(prefix, endpoint.PathPrefix);
    }

    [Fact]
    public void Equals_SameAddressWrittenDifferently_SameEndpoint()
    {
        var a = new LoadBalancedEndpoint("HTTP://Catalog.Internal:80/");
        var b = new LoadBalancedEndpoint("http://catalog.internal", zone: "z", weight: 3);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new LoadBalancedEndpoint("http://catalog.internal:8080"));
        Assert.NotEqual(a, new LoadBalancedEndpoint("https://catalog.internal"));
    }

    [Fact]
    public void Constructor_ZoneNameAndMetadata_NormalisedAndCopied()
    {
        var metadata = new Dictionary<string, string> { ["version"] = "1" };
        var endpoint = new LoadBalancedEndpoint("http://10.0.0.5:8080", zone: " ", metadata: metadata, name: "");
        metadata["version"] = "2";

        Assert.Null(endpoint.Zone);
        Assert.Null(endpoint.Name);
        Assert.Equal("1", endpoint.Metadata["version"]);
        Assert.Equal(LoadBalancedEndpoint.DefaultWeight, endpoint.Weight);
    }

    [Fact]
    public void ServicePool_DuplicateEndpoints_RejectedNamingServiceAndEntry()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://10.0.0.5:8080");
        options.Endpoints.Add("http://10.0.0.6:8080");
        options.Endpoints.Add("HTTP://10.0.0.5:8080/");

        var ex = Assert.Throws<OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Equal(["Service 'catalog' lists endpoint 'http://10.0.0.5:8080' more than once."], ex.Failures);
    }

    [Fact]
    public void ServicePool_SameHostDifferentPathPrefixes_Accepted()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://10.0.0.5:8080/a");
        options.Endpoints.Add("http://10.0.0.5:8080/b");
        using var pool = new ServicePool("catalog", options);

        Assert.Equal(2, pool.Endpoints.Count);
    }

    [Fact]
    public void EndpointCollection_Null_Rejected()
    {
        var options = new LoadBalancingOptions();

        Assert.Throws<ArgumentNullException>(() => options.Endpoints.Add((LoadBalancedEndpoint)null!));
    }
}
