namespace Loadstone.Tests.Routing;

public sealed class RoutingRulesTests
{
    private static RoutingRule Valid(int priority = 1)
    {
        var rule = new RoutingRule { Priority = priority };
        rule.Forward.Pool = "catalog-v2";
        return rule;
    }

    [Fact]
    public void Validate_ValidRules_NoProblems()
    {
        var weighted = Valid(2);
        weighted.Forward.Pool = null;
        weighted.Forward.Pools.Add(new WeightedPool { Pool = "a", Weight = 999 });
        weighted.Forward.Pools.Add(new WeightedPool { Pool = "b", Weight = 0 });

        Assert.Empty(RoutingRules.Validate("catalog", [Valid(1), weighted], hasStickyKey: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50_001)]
    public void Validate_PriorityOutOfRange_NamesTheKey(int priority)
    {
        var problem = Assert.Single(RoutingRules.Validate("catalog", [Valid(priority)], hasStickyKey: false));

        Assert.Equal($"Service 'catalog': route 0: Priority (LoadBalancing:Services:catalog:Routes:0:Priority) is {priority}; it must be between 1 and 50000.", problem);
    }

    [Fact]
    public void Validate_DuplicatePriority_IsAProblem()
    {
        var second = Valid(7);
        second.Name = "second";

        var problem = Assert.Single(RoutingRules.Validate("catalog", [Valid(7), second], hasStickyKey: false));

        Assert.Equal("Service 'catalog': route 'second': Priority (LoadBalancing:Services:catalog:Routes:1:Priority) 7 is also the priority of route 0; priorities must be unique.", problem);
    }

    [Fact]
    public void Validate_BadWeightedForward_ReportsEveryProblem()
    {
        var rule = new RoutingRule { Name = "canary", Priority = 1, Forward = { Stickiness = TimeSpan.FromDays(8) } };
        for (var i = 0; i < 6; i++)
        {
            rule.Forward.Pools.Add(new WeightedPool { Pool = i == 0 ? "" : $"p{i}", Weight = i == 1 ? 1000 : 0 });
        }

        Assert.Equal(
        [
            "Service 'catalog': route 'canary': Forward.Pools (LoadBalancing:Services:catalog:Routes:0:Forward:Pools) has 6 pools; at most 5 are allowed.",
            "Service 'catalog': route 'canary': Forward.Pools[0].Pool (LoadBalancing:Services:catalog:Routes:0:Forward:Pools:0:Pool) is empty; name the service whose pool it is.",
            "Service 'catalog': route 'canary': Forward.Pools[1].Weight (LoadBalancing:Services:catalog:Routes:0:Forward:Pools:1:Weight) is 1000; it must be between 0 and 999.",
            "Service 'catalog': route 'canary': Forward.Pools (LoadBalancing:Services:catalog:Routes:0:Forward:Pools) all have weight 0; at least one must be above 0.",
            "Service 'catalog': route 'canary': Forward.Stickiness (LoadBalancing:Services:catalog:Routes:0:Forward:Stickiness) is 8.00:00:00; it must be between 00:00:01 and 7.00:00:00.",
        ], RoutingRules.Validate("catalog", [rule], hasStickyKey: true));
    }

    [Fact]
    public void Validate_PoolAndPoolsBothOrNeither_IsAProblem()
    {
        var both = Valid(1);
        both.Forward.Pools.Add(new WeightedPool { Pool = "x" });
        var neither = new RoutingRule { Priority = 2 };

        Assert.Equal(
        [
            "Service 'catalog': route 0: Forward (LoadBalancing:Services:catalog:Routes:0:Forward) must set either Pool (one pool) or Pools (a weighted split), not both.",
            "Service 'catalog': route 1: Forward (LoadBalancing:Services:catalog:Routes:1:Forward) must set either Pool (one pool) or Pools (a weighted split), not neither.",
        ], RoutingRules.Validate("catalog", [both, neither], hasStickyKey: false));
    }

    [Fact]
    public void Validate_StickinessWithoutStickyKey_IsAProblem()
    {
        var rule = new RoutingRule { Priority = 1, Forward = { Stickiness = TimeSpan.FromHours(1) } };
        rule.Forward.Pools.Add(new WeightedPool { Pool = "a" });

        var problem = Assert.Single(RoutingRules.Validate("catalog", [rule], hasStickyKey: false));

        Assert.Contains("needs a sticky key", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadConditions_NameTheSettings()
    {
        var rule = Valid();
        rule.Match.Paths.Add("");
        rule.Match.Headers.Add(new HeaderMatch { Name = "X-*" });
        rule.Match.Query.Add(new QueryMatch { Key = "v" });

        Assert.Equal(
        [
            "Service 'catalog': route 0: Match.Paths[0] (LoadBalancing:Services:catalog:Routes:0:Match:Paths:0) is empty.",
            "Service 'catalog': route 0: Match.Headers[0].Name (LoadBalancing:Services:catalog:Routes:0:Match:Headers:0:Name) must be a header name without wildcards.",
            "Service 'catalog': route 0: Match.Headers[0].Values (LoadBalancing:Services:catalog:Routes:0:Match:Headers:0:Values) is empty; give at least one value pattern.",
            "Service 'catalog': route 0: Match.Query[0].Values (LoadBalancing:Services:catalog:Routes:0:Match:Query:0:Values) is empty; give at least one value pattern.",
        ], RoutingRules.Validate("catalog", [rule], hasStickyKey: false));
    }
}
