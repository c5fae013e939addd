using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.DependencyInjection;

/// <summary>
/// How a client's handlers are arranged around its LoadBalancingHandler, with the real handlers of
/// Microsoft.Extensions.Http.Resilience and Microsoft.Extensions.ServiceDiscovery, whatever the registration order.
/// </summary>
public sealed class HandlerPlacementTests
{
    public static TheoryData<string> Orders => new()
    {
        "loadstone,resilience,discovery",
        "loadstone,discovery,resilience",
        "resilience,loadstone,discovery",
        "resilience,discovery,loadstone",
        "discovery,loadstone,resilience",
        "discovery,resilience,loadstone",
        "defaults:resilience,discovery;client:loadstone",
        "defaults:discovery,resilience;client:loadstone",
        "defaults:loadstone;client:resilience,discovery",
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void AnyRegistrationOrder_ResilienceOutside_DiscoveryBypassed_BalancerInside(string order)
    {
        using var services = Build(order);

        var chain = Chain(services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("catalog"));

        Assert.Equal(["RequestEntryHandler", "ResilienceHandler", "ServiceDiscoveryBypassHandler", "LoadBalancingHandler", "SocketsHttpHandler"],
            chain.Select(h => h.GetType().Name).Where(n => !n.StartsWith("Logging", StringComparison.Ordinal) && !n.StartsWith("LifetimeTracking", StringComparison.Ordinal)));
        Assert.True(chain.OfType<LoadBalancingHandler>().Single().OuterAttempts);
    }

    [Fact]
    public void BalancedClient_PrimarySocketsHandler_TellsGrpcNotToBalance()
    {
        using var services = Build("loadstone");

        var chain = Chain(services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("catalog"));

        var sockets = chain.OfType<SocketsHttpHandler>().Single();
        Assert.Equal(true, sockets.Properties[HandlerPlacement.GrpcLoadBalancingDisabled]);
        Assert.False(chain.OfType<LoadBalancingHandler>().Single().OuterAttempts);
        Assert.DoesNotContain(chain, h => h is RequestEntryHandler);
    }

    [Fact]
    public void ClientWithoutBalancer_IsLeftAlone()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancing();
        services.AddHttpClient("other").AddStandardResilienceHandler();
        services.AddHttpClient("discovering").AddServiceDiscovery();
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpMessageHandlerFactory>();

        var chain = Chain(factory.CreateHandler("other"));
        var discovering = Chain(factory.CreateHandler("discovering"));

        Assert.Contains(chain, h => h.GetType().Name == "ResilienceHandler");
        Assert.DoesNotContain(chain, h => h is LoadBalancingHandler or RequestEntryHandler);
        Assert.False(chain.OfType<SocketsHttpHandler>().Single().Properties.ContainsKey(HandlerPlacement.GrpcLoadBalancingDisabled));
        Assert.Contains(discovering, h => h.GetType().Name == "ResolvingHttpDelegatingHandler");
        Assert.DoesNotContain(discovering, h => h is ServiceDiscoveryBypassHandler);
    }

    [Fact]
    public void BalancerOnClientAndDefaults_OneHandlerRemains()
    {
        var services = new ServiceCollection();
        services.ConfigureHttpClientDefaults(b => b.AddLoadBalancing());
        services.AddLoadBalancedHttpClient("catalog", o => o.Endpoints.Add("http://10.0.0.1:8080"));
        using var provider = services.BuildServiceProvider();

        var chain = Chain(provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("catalog"));

        Assert.Single(chain.OfType<LoadBalancingHandler>());
    }

    [Fact]
    public async Task BalancerOnTheClientDefaults_HostStarts_AndEveryClientIsBalanced()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.ConfigureHttpClientDefaults(b => b.AddLoadBalancing().AddStandardResilienceHandler());
        builder.Services.AddLoadBalancedService("catalog", o => o.Endpoints.Add("http://10.0.0.1:8080"));
        builder.Services.AddHttpClient("orders");
        using var host = builder.Build();

        await host.StartAsync();

        var chain = Chain(host.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("orders"));
        Assert.True(chain.OfType<LoadBalancingHandler>().Single().OuterAttempts);
        await host.StopAsync();
    }

    [Fact]
    public void ResilienceInsideABalancerInThePrimaryChain_FailsNamingTheClientAndTheFix()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedService("catalog", o => o.Endpoints.Add("http://10.0.0.1:8080"));
        services.AddHttpClient("catalog").ConfigurePrimaryHttpMessageHandler(sp =>
            new LoadBalancingHandler(sp.GetRequiredService<ServicePoolRegistry>())
            {
                InnerHandler = new Microsoft.Extensions.Http.Resilience.ResilienceHandler(new Polly.ResiliencePipelineBuilder<HttpResponseMessage>().Build())
                {
                    InnerHandler = new SocketsHttpHandler(),
                },
            });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<HandlerPlacementException>(() => provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("catalog"));

        Assert.StartsWith("HttpClient 'catalog': its primary handler chain has ResilienceHandler inside the LoadBalancingHandler", error.Message);
        Assert.Contains("Register it on the client instead (AddStandardResilienceHandler(), AddServiceDiscovery())", error.Message);
    }

    [Fact]
    public async Task UnplaceableChain_FailsWhenTheHostStarts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHttpClient("catalog")
            .ConfigurePrimaryHttpMessageHandler(sp => new LoadBalancingHandler(sp.GetRequiredService<ServicePoolRegistry>())
            {
                InnerHandler = new Microsoft.Extensions.Http.Resilience.ResilienceHandler(new Polly.ResiliencePipelineBuilder<HttpResponseMessage>().Build())
                {
                    InnerHandler = new SocketsHttpHandler(),
                },
            })
            .AddLoadBalancing("catalog", o => o.Endpoints.Add("http://10.0.0.1:8080"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("HttpClient 'catalog' has a LoadBalancingHandler in its primary handler and another one added with AddLoadBalancing. Keep one of them.", error.Message);
    }

    /// <summary>
    /// Registers the three handlers in the order given: "a,b,c" on the client, or "defaults:...;client:..." split between
    /// the client defaults and the client.
    /// </summary>
    private static ServiceProvider Build(string order)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddServiceDiscovery();
        var parts = order.Contains(':', StringComparison.Ordinal)
            ? order.Split(';').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1])
            : new Dictionary<string, string> { ["client"] = order };
        if (parts.TryGetValue("defaults", out var defaults))
        {
            services.ConfigureHttpClientDefaults(b => Add(b, defaults));
        }

        Add(services.AddHttpClient("catalog"), parts["client"]);
        services.AddLoadBalancedService("catalog", o => o.Endpoints.Add("http://10.0.0.1:8080"));
        return services.BuildServiceProvider();
    }

    private static void Add(IHttpClientBuilder builder, string handlers)
    {
        foreach (var handler in handlers.Split(','))
        {
            object added = handler switch
            {
                "loadstone" => builder.AddLoadBalancing(),
                "resilience" => builder.AddStandardResilienceHandler(),
                "discovery" => builder.AddServiceDiscovery(),
                _ => throw new ArgumentException(handler),
            };
            Assert.NotNull(added);
        }
    }

    private static List<HttpMessageHandler> Chain(HttpMessageHandler handler)
    {
        var chain = new List<HttpMessageHandler>();
        for (HttpMessageHandler? h = handler; h is not null; h = (h as DelegatingHandler)?.InnerHandler)
        {
            chain.Add(h);
        }

        return chain;
    }
}
