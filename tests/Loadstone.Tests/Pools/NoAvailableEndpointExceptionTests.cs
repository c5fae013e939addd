namespace Loadstone.Tests.Pools;

/// <summary>What a caller reads when no endpoint can take a request: the service, the reason in words, any detail.</summary>
public sealed class NoAvailableEndpointExceptionTests
{
    [Theory]
    [InlineData(NoAvailableEndpointReason.NoEndpoints, "it has no endpoints")]
    [InlineData(NoAvailableEndpointReason.AllWeightsZero, "every endpoint has weight 0")]
    [InlineData(NoAvailableEndpointReason.NoMatchingEndpoint, "no endpoint matches the request")]
    [InlineData(NoAvailableEndpointReason.AllDraining, "every endpoint is draining")]
    [InlineData(NoAvailableEndpointReason.AllUnhealthy, "every endpoint is unhealthy and fail-open is disabled")]
    [InlineData((NoAvailableEndpointReason)42, "42")]
    public void Message_EachReason_NamesTheServiceAndSaysWhy(NoAvailableEndpointReason reason, string why)
    {
        var ex = new NoAvailableEndpointException("catalog", reason);

        Assert.Equal($"No endpoint of service 'catalog' is available: {why}.", ex.Message);
        Assert.Equal(("catalog", reason), (ex.ServiceName, ex.Reason));
        Assert.IsAssignableFrom<HttpRequestException>(ex);
    }

    [Fact]
    public void Message_WithDetail_DetailAfterTheReason()
    {
        var ex = new NoAvailableEndpointException("catalog", NoAvailableEndpointReason.NoMatchingEndpoint, "Filter: zone = eu-west-1a.");

        Assert.Equal("No endpoint of service 'catalog' is available: no endpoint matches the request. Filter: zone = eu-west-1a.", ex.Message);
    }
}
