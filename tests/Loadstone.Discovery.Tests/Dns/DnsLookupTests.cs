using Loadstone.Discovery.Dns;

namespace Loadstone.Discovery.Tests.Dns;

public sealed class DnsLookupTests
{
    [Theory]
    [InlineData("catalog", "catalog.ns.svc.cluster.local|catalog.svc.cluster.local|catalog")]
    [InlineData("catalog.ns", "catalog.ns|catalog.ns.ns.svc.cluster.local|catalog.ns.svc.cluster.local")]
    [InlineData("_http._tcp.catalog", "_http._tcp.catalog|_http._tcp.catalog.ns.svc.cluster.local|_http._tcp.catalog.svc.cluster.local")]
    [InlineData("catalog.ns.svc.cluster.local.", "catalog.ns.svc.cluster.local.")]
    public void Candidates_SearchDomains_TriedAsAStubResolverWithNdots1Would(string name, string expected)
    {
        Assert.Equal(expected.Split('|'), DnsLookup.Candidates(name, ["ns.svc.cluster.local", ".svc.cluster.local."]));
    }

    [Fact]
    public void Candidates_NoSearchDomains_OnlyTheName()
    {
        Assert.Equal(["catalog"], DnsLookup.Candidates("catalog", []));
    }
}
