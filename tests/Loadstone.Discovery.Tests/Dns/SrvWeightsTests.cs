using Loadstone.Discovery.Dns;

namespace Loadstone.Discovery.Tests.Dns;

public sealed class SrvWeightsTests
{
    [Theory]
    [InlineData(new[] { 3, 1 }, new[] { 3, 1 })]
    [InlineData(new[] { 60, 20, 20 }, new[] { 60, 20, 20 })]
    [InlineData(new[] { 7 }, new[] { 7 })]
    [InlineData(new[] { 10_000, 1 }, new[] { 10_000, 1 })]
    [InlineData(new[] { 0, 0, 0 }, new[] { 1, 1, 1 })]
    [InlineData(new[] { 10, 0 }, new[] { 10_000, 1 })]
    [InlineData(new[] { 30_000, 10_000 }, new[] { 10_000, 3_333 })]
    [InlineData(new[] { 65_535, 1 }, new[] { 10_000, 1 })]
    [InlineData(new[] { 65_535, 65_535 }, new[] { 10_000, 10_000 })]
    public void Map_GroupWeights_KeptWhenTheyFitElseScaledWithProportionsAndNoneIsZero(int[] weights, int[] expected)
    {
        Assert.Equal(expected, SrvWeights.Map(weights));
    }
}
