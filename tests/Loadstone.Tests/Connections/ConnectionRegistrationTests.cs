using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Connections;

/// <summary>Dependency injection: AddLoadBalancedConnections, configuration under LoadBalancing:Connections, validation.</summary>
public sealed class ConnectionRegistrationTests
{
    [Fact]
    public void AddLoadBalancedConnections_FromConfiguration_BindsPoolAndConnectionOptions()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:cache:Endpoints:0"] = "tcp://10.0.0.1:6379",
            ["LoadBalancing:Services:cache:Endpoints:1"] = "tcp://10.0.0.2:6379",
            ["LoadBalancing:Connections:cache:MaxConnectAttempts"] = "5",
            ["LoadBalancing:Connections:cache:ConnectTimeout"] = "00:00:02",
            ["LoadBalancing:Connections:cache:CloseConnectionsOnDeregistration"] = "true",
            ["LoadBalancing:Connections:cache:Tls:ServerName"] = "EndpointHost",
        }).Build());
        services.AddLoadBalancedConnections("cache");
        services.AddLoadBalancedConnections("cache"); // safe twice
        using var provider = services.BuildServiceProvider();

        var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("cache");
        var options = provider.GetRequiredService<IOptionsMonitor<ConnectionBalancerOptions>>().Get("cache");

        Assert.Same(provider.GetRequiredService<ServicePoolRegistry>().GetPool("cache"), balancer.Pool);
        Assert.Equal(LoadBalancingStrategies.LeastRequests, balancer.Pool.StrategyName);
        Assert.Equal(["tcp://10.0.0.1:6379", "tcp://10.0.0.2:6379"], balancer.Pool.Endpoints.Select(e => e.Endpoint.Id));
        Assert.Equal((5, TimeSpan.FromSeconds(2), true, TlsServerName.EndpointHost),
            (options.MaxConnectAttempts, options.ConnectTimeout, options.CloseConnectionsOnDeregistration, options.Tls?.ServerName));
    }

    [Fact]
    public void AddLoadBalancedConnections_StrategyConfigured_ConfigurationWinsOverTheDefault()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Services:cache:Strategy"] = "RoundRobin",
            ["LoadBalancing:Services:cache:Endpoints:0"] = "tcp://10.0.0.1:6379",
        }).Build());
        services.AddLoadBalancing(); // registered first, as an app with request-level clients would
        services.AddLoadBalancedConnections("cache");
        using var provider = services.BuildServiceProvider();

        Assert.Equal(LoadBalancingStrategies.RoundRobin, provider.GetRequiredKeyedService<ConnectionBalancer>("cache").Pool.StrategyName);
    }

    [Fact]
    public void AddLoadBalancedConnections_ConfigureDelegates_OverrideConfiguration()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedConnections("cache",
            o => { o.Endpoints.Add("tcp://10.0.0.1:6379"); o.Strategy = LoadBalancingStrategies.PowerOfTwoChoices; },
            o => o.MaxConnectAttempts = 1);
        using var provider = services.BuildServiceProvider();

        var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("cache");

        Assert.Equal(LoadBalancingStrategies.PowerOfTwoChoices, balancer.Pool.StrategyName);
        Assert.Equal(1, provider.GetRequiredService<IOptionsMonitor<ConnectionBalancerOptions>>().Get("cache").MaxConnectAttempts);
    }

    [Fact]
    public void AddLoadBalancedConnections_BadConfiguration_EveryProblemReportedWithItsKey()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LoadBalancing:Connections:cache:MaxConectAttempts"] = "5",
        }).Build());
        services.AddLoadBalancedConnections("cache", o => o.Endpoints.Add("tcp://10.0.0.1:6379"), o => o.ConnectDeadline = TimeSpan.Zero);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<ConnectionBalancer>("cache"));

        Assert.Equal(2, ex.Failures.Count());
        Assert.Equal(
            "Service 'cache': MaxConectAttempts (LoadBalancing:Connections:cache:MaxConectAttempts) is not a known setting; a connection balancer has MaxConnectAttempts, ConnectTimeout, ConnectDeadline, Tls, CloseConnectionsOnDeregistration. Did you mean MaxConnectAttempts?",
            ex.Failures.First());
        Assert.Equal("Service 'cache': ConnectDeadline (LoadBalancing:Connections:cache:ConnectDeadline) is 00:00:00; it must be between 00:00:00.0100000 and 00:10:00.", ex.Failures.Last());
    }

    [Fact]
    public async Task AddLoadBalancedConnections_EndpointSourceOnTheServiceBuilder_ConnectsToItsEndpoints()
    {
        await using var server = TcpTestServer.Echo();
        var services = new ServiceCollection();
        services.AddLoadBalancedConnections("cache")
            .AddEndpointSource(new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(server.Endpoint)]));
        await using var provider = services.BuildServiceProvider();
        var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("cache");
        await balancer.Pool.InitializeAsync();

        await using var connection = await balancer.ConnectAsync();

        Assert.Equal(new LoadBalancedEndpoint(server.Endpoint), connection.Endpoint);
        Assert.Equal("via source", await ConnectionKit.EchoAsync(connection, "via source"));
    }

    [Fact]
    public async Task UseLoadBalancedConnections_TwoServicesOnOneClient_EachHostBalancedOverItsOwnPool()
    {
        await using var catalog = TcpTestServer.Echo();
        await using var orders = TcpTestServer.Echo();
        var services = new ServiceCollection();
        services.AddHttpClient("sdk")
            .UseLoadBalancedConnections("catalog", o => o.Endpoints.Add(catalog.Endpoint))
            .UseLoadBalancedConnections("orders", o => o.Endpoints.Add(orders.Endpoint));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sdk");

        // The echo servers are not HTTP servers: the request fails, but only after the connection was made to the right one.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync("http://orders/x", HttpCompletionOption.ResponseHeadersRead, timeout.Token));

        Assert.Equal((0, 1), (catalog.Accepted, orders.Accepted));
        Assert.Equal(1, provider.GetRequiredKeyedService<ConnectionBalancer>("orders").Pool.Endpoints[0].TotalRequests);
    }
}
