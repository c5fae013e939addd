namespace Loadstone.Tests.Pools;

/// <summary>A service's entry: its routing rules choose the target pool; the sticky key is read once per request.</summary>
public sealed class ServiceEntryTests
{
    private static ServicePool Pool(string name, Action<LoadBalancingOptions>? configure = null, int endpoints = 2)
    {
        var options = new LoadBalancingOptions();
        for (var i = 0; i < endpoints; i++)
        {
            options.Endpoints.Add($"http://10.{name.Length}.0.{i + 1}:8080");
        }

        configure?.Invoke(options);
        return new ServicePool(name, options, new ServicePoolDependencies { Random = new Random(3) });
    }

    private static RoutingRule Rule(int priority, string header, Action<RouteForward> forward)
    {
        var rule = new RoutingRule { Priority = priority };
        rule.Match.Headers.Add(new HeaderMatch { Name = header, Values = { "true" } });
        forward(rule.Forward);
        return rule;
    }

    [Fact]
    public void SelectTarget_NoRules_TheServicesOwnPool()
    {
        using var registry = new ServicePoolRegistry(Pool("catalog"));
        Assert.True(registry.TryGetService("catalog", out var entry));
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        var context = new PickContext(request);

        Assert.Null(entry.Routing);
        Assert.Same(entry.Pool, entry.SelectTarget(registry, ref context));
    }

    [Fact]
    public void SelectTarget_RuleMatches_ForwardsToTheOtherServicesPoolElseOwn()
    {
        using var registry = new ServicePoolRegistry(
            Pool("catalog", o => o.Routes.Add(Rule(1, "X-Beta", f => f.Pool = "beta"))),
            Pool("beta"));
        registry.TryGetService("catalog", out var entry);
        using var beta = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        beta.Headers.Add("X-Beta", "true");
        using var plain = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        var betaContext = new PickContext(beta);
        var plainContext = new PickContext(plain);

        Assert.Equal("beta", entry!.SelectTarget(registry, ref betaContext).ServiceName);
        Assert.Equal("catalog", entry.SelectTarget(registry, ref plainContext).ServiceName);
    }

    [Fact]
    public void SelectTarget_RuleForwardsToAnUnknownService_ExplainedException()
    {
        // Validation at start-up rejects this through the container; without one, the request explains it.
        using var registry = new ServicePoolRegistry(Pool("catalog", o => o.Routes.Add(Rule(1, "X-Beta", f => f.Pool = "nowhere"))));
        registry.TryGetService("catalog", out var entry);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        request.Headers.Add("X-Beta", "true");
        var context = new PickContext(request);

        var error = Assert.Throws<NoAvailableEndpointException>(() => entry!.SelectTarget(registry, ref context));

        Assert.Contains("A routing rule forwards to service 'nowhere', which is not configured.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acquire_GroupStickinessAndTargetStickiness_TheKeyIsReadOncePerRequest()
    {
        var reads = 0;
        string? Key(HttpRequestMessage r)
        {
            reads++;
            return r.Headers.TryGetValues("X-User", out var v) ? v.First() : null;
        }

        using var registry = new ServicePoolRegistry(
            Pool("catalog", o =>
            {
                o.StickySessions.KeyFrom(Key);
                o.Routes.Add(Rule(1, "X-Split", f =>
                {
                    f.Pools.Add(new WeightedPool { Pool = "catalog", Weight = 1 });
                    f.Pools.Add(new WeightedPool { Pool = "catalog", Weight = 1 });
                    f.Stickiness = TimeSpan.FromMinutes(5);
                }));
            }));
        registry.TryGetService("catalog", out var entry);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        request.Headers.Add("X-Split", "true");
        request.Headers.Add("X-User", "alice");

        var context = new PickContext(request);
        var target = entry!.SelectTarget(registry, ref context); // group stickiness reads the key
        target.AcquireAttempt(null, ref context, default).Complete(RequestOutcome.Success); // the binding does not read it again

        Assert.Equal(1, reads);
    }
}
