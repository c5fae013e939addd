using System.Diagnostics.Metrics;
using Loadstone.Tests;
using Loadstone.Tests.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;

namespace Loadstone.ServiceDiscovery.Tests;

/// <summary>
/// An application wired exactly like an Aspire service-defaults project (<c>AddServiceDiscovery()</c>, and
/// <c>ConfigureHttpClientDefaults</c> with <c>AddStandardResilienceHandler()</c> and <c>AddServiceDiscovery()</c>) plus
/// one Loadstone call, <c>AddServiceDiscoveryLoadBalancing()</c>, against three real Kestrel backends: Loadstone does the
/// balancing (its pool's metrics count the attempts), ejects an endpoint answering 503, and the resilience handler's
/// retries land on other endpoints, whatever the registration order.
/// </summary>
public sealed class AspireServiceDefaultsTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public AspireServiceDefaultsTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    /// <summary>Resilience before or after ServiceDiscovery in the client defaults; Loadstone's call before or after them.</summary>
    public static TheoryData<bool, bool> Orders => new() { { true, true }, { true, false }, { false, true }, { false, false } };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task EveryRequest_IsBalancedByLoadstone_NotByServiceDiscovery(bool resilienceFirst, bool loadstoneFirst)
    {
        // FirstAvailable sends everything to the first endpoint; ServiceDiscovery's own round robin would spread it.
        using var app = await StartAsync(resilienceFirst, loadstoneFirst, LoadBalancingStrategies.FirstAvailable);
        using var attemptCollector = Collector<long>(app, "loadstone.attempts");
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await IntegrationTests.SendSequentialAsync(client, 30);

        Assert.Equal([30, 0, 0], _backends.Counts);
        var attempts = attemptCollector.GetMeasurementSnapshot();
        Assert.Equal(30, attempts.EvaluateAsCounter());
        Assert.All(attempts, a => Assert.Equal("success", a.Tags[OutcomeTag]));
        Assert.All(attempts, a => Assert.Equal(_backends[0].Address.ToString().TrimEnd('/'), a.Tags[EndpointTag]));
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task EndpointAnswering503_IsEjected_AndEachRetryLandsOnAnotherEndpoint(bool resilienceFirst, bool loadstoneFirst)
    {
        using var app = await StartAsync(resilienceFirst, loadstoneFirst, LoadBalancingStrategies.RoundRobin);
        using var attempts = Collector<long>(app, "loadstone.attempts");
        using var retries = Collector<long>(app, "loadstone.retries");
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        _backends[1].StatusCode = 503;

        for (var i = 0; i < 30; i++)
        {
            using var response = await client.GetAsync($"/items/{i}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var pool = app.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        // The ejection is published by the control plane, just after the request that crossed the threshold.
        var failing = await Eventually.ThatAsync(
            () => pool.GetStatus().Endpoints.Single(e => e.Endpoint.Address.Port == _backends[1].Port),
            e => e.Health == EndpointHealth.Unhealthy);
        Assert.Equal(EndpointHealth.Unhealthy, failing.Health);
        Assert.Equal(EndpointHealthReason.EjectedConsecutiveGatewayErrors, failing.Reason);
        Assert.InRange(_backends[1].RequestCount, 5, 6);

        // Every request that got a 503 was sent again by the resilience handler, and went to another endpoint.
        var healthy = _backends[0].Received.Concat(_backends[2].Received).ToHashSet();
        Assert.All(_backends[1].Received, path => Assert.Contains(path, healthy));
        Assert.Equal(30, healthy.Count);
        Assert.Equal(_backends[1].RequestCount, attempts.GetMeasurementSnapshot().Where(a => Equals(a.Tags[OutcomeTag], "gateway_error")).EvaluateAsCounter());
        Assert.Equal(_backends[1].RequestCount, retries.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task EveryEndpointFailing_TotalAttemptsAreTheResilienceHandlers_NotMultiplied(bool resilienceFirst, bool loadstoneFirst)
    {
        // Loadstone's own retries are on (MaxRetryAttempts 2): stacked under the handler's 3 retries they made 4 x 3 attempts.
        using var app = await StartAsync(resilienceFirst, loadstoneFirst, LoadBalancingStrategies.RoundRobin);
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        foreach (var backend in _backends.All)
        {
            backend.StatusCode = 503;
        }

        using var response = await client.GetAsync("/items");

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(4, _backends.Counts.Sum());
        Assert.All(_backends.Counts, c => Assert.InRange(c, 1, 2));
    }

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task ResilienceAttemptTimeout_IsRecordedAsTheEndpointsTimeout_WithItsElapsedTime(bool resilienceFirst, bool loadstoneFirst)
    {
        using var app = await StartAsync(resilienceFirst, loadstoneFirst, LoadBalancingStrategies.RoundRobin,
            o => o.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(300));
        using var attempts = Collector<long>(app, "loadstone.attempts");
        using var attemptDurations = Collector<double>(app, "loadstone.attempt.duration");
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        _backends[2].Delay = TimeSpan.FromSeconds(5);

        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync($"/items/{i}");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var slow = _backends[2].Address.ToString().TrimEnd('/');
        var durations = attemptDurations.GetMeasurementSnapshot().Where(a => Equals(a.Tags[EndpointTag], slow)).ToList();
        Assert.NotEmpty(durations);
        Assert.All(durations, d => Assert.Equal("timeout", d.Tags[OutcomeTag]));
        Assert.All(durations, d => Assert.InRange(d.Value, 0.29, 4.0));
        Assert.DoesNotContain(attempts.GetMeasurementSnapshot(), a => Equals(a.Tags[OutcomeTag], "canceled"));
        var pool = app.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        var state = pool.Endpoints.Single(e => e.Endpoint.Address.Port == _backends[2].Port);
        Assert.True(state.Latency >= TimeSpan.FromMilliseconds(290), $"The slow endpoint's latency was learned as {state.Latency}.");
    }

    private Task<IHost> StartAsync(bool resilienceFirst, bool loadstoneFirst, string strategy,
        Action<HttpStandardResilienceOptions>? resilience = null) =>
        StartAsync(_backends, resilienceFirst, loadstoneFirst, strategy, resilience);

    internal static async Task<IHost> StartAsync(BackendSet backends, bool resilienceFirst, bool loadstoneFirst, string strategy,
        Action<HttpStandardResilienceOptions>? resilience = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:catalog:http:0"] = backends[0].Address.ToString(),
            ["Services:catalog:http:1"] = backends[1].Address.ToString(),
            ["Services:catalog:http:2"] = backends[2].Address.ToString(),
            ["LoadBalancing:Services:catalog:Strategy"] = strategy,
        });
        var services = builder.Services;
        services.AddMetrics();
        if (loadstoneFirst)
        {
            services.AddServiceDiscoveryLoadBalancing();
        }

        // The service defaults of an Aspire application.
        services.AddServiceDiscovery();
        services.ConfigureHttpClientDefaults(http =>
        {
            if (resilienceFirst)
            {
                http.AddStandardResilienceHandler();
                http.AddServiceDiscovery();
            }
            else
            {
                http.AddServiceDiscovery();
                http.AddStandardResilienceHandler();
            }
        });

        if (!loadstoneFirst)
        {
            services.AddServiceDiscoveryLoadBalancing();
        }

        // Short retry delays so the test takes a second (the standard 2 s exponential back-off is the same code path).
        services.ConfigureAll<HttpStandardResilienceOptions>(o =>
        {
            o.Retry.Delay = TimeSpan.FromMilliseconds(5);
            resilience?.Invoke(o);
        });
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("https+http://catalog"));
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    private const string OutcomeTag = "loadstone.outcome";
    private const string EndpointTag = "loadstone.endpoint";

    /// <summary>One Loadstone instrument of the app's own meter (its container's <see cref="IMeterFactory"/>).</summary>
    private static MetricCollector<T> Collector<T>(IHost app, string instrument)
        where T : struct =>
        new(app.Services.GetRequiredService<IMeterFactory>(), LoadstoneMetrics.MeterName, instrument);
}
