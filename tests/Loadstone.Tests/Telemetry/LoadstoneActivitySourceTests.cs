using System.Diagnostics;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary>Traces: one <c>loadstone.attempt</c> activity per attempt, seen by an <see cref="ActivityListener"/>.</summary>
public sealed class LoadstoneActivitySourceTests
{
    [Fact]
    public async Task SendAsync_OneAttemptPerRequest_OneActivityPerAttemptWithItsTags()
    {
        var service = UniqueService("trace");
        using var traces = new ActivityCollector(service);
        var backends = await TestBackend.StartManyAsync(2, "t");
        var zones = new Dictionary<string, string> { [EndpointOf(backends[0])] = "zone-a", [EndpointOf(backends[1])] = "zone-b" };
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                o.Endpoints.Add(backends[0].Address.ToString(), zone: "zone-a");
                o.Endpoints.Add(backends[1].Address.ToString(), zone: "zone-b");
            });

            await host.GetAsync(SecretPath, 4);

            var activities = traces.Stopped.ToArray();
            Assert.Equal(4, activities.Length);
            Assert.All(activities, a =>
            {
                Assert.Equal(LoadstoneActivitySource.AttemptActivityName, a.OperationName);
                Assert.Equal(ActivityKind.Internal, a.Kind);
                var endpoint = Assert.IsType<string>(a.GetTagItem(EndpointTag));
                Assert.Equal(zones[endpoint], a.GetTagItem("loadstone.endpoint.zone"));
                Assert.Equal(1, a.GetTagItem("loadstone.attempt"));
                Assert.Equal("strategy", a.GetTagItem("loadstone.pick_reason"));
                Assert.Equal(LoadBalancingStrategies.RoundRobin, a.GetTagItem("loadstone.strategy"));
                Assert.Equal("success", a.GetTagItem(OutcomeTag));
                Assert.Equal(ActivityStatusCode.Unset, a.Status);
            });
            Assert.Equal(2, activities.Count(a => (string)a.GetTagItem(EndpointTag)! == EndpointOf(backends[0])));
            AssertNoRequestData(activities.Select(a => a.Tags.ToDictionary(t => t.Key, t => t.Value)));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_GatewayErrorRetried_TwoActivitiesUnderTheCallersActivity()
    {
        var service = UniqueService("trace-retry");
        using var traces = new ActivityCollector(service);
        var backends = await TestBackend.StartManyAsync(2, "tr");
        backends[0].StatusCode = 503;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable;
                o.Endpoints.Add(backends[0].Address.ToString());
                o.Endpoints.Add(backends[1].Address.ToString());
            });

            using (var caller = new Activity("caller").Start())
            {
                Assert.Equal(new[] { 200 }, await host.GetAsync(SecretPath, 1));

                var activities = traces.Stopped.ToArray();
                Assert.Equal(2, activities.Length);
                Assert.All(activities, a =>
                {
                    Assert.Equal(caller.TraceId, a.TraceId);
                    Assert.Equal(caller.SpanId, a.ParentSpanId);
                });

                var first = activities.Single(a => (int)a.GetTagItem("loadstone.attempt")! == 1);
                Assert.Equal(EndpointOf(backends[0]), first.GetTagItem(EndpointTag));
                Assert.Equal("strategy", first.GetTagItem("loadstone.pick_reason"));
                Assert.Equal("gateway_error", first.GetTagItem(OutcomeTag));
                Assert.Equal(ActivityStatusCode.Error, first.Status);

                var second = activities.Single(a => (int)a.GetTagItem("loadstone.attempt")! == 2);
                Assert.Equal(EndpointOf(backends[1]), second.GetTagItem(EndpointTag));
                Assert.Equal("retry on an endpoint not tried yet", second.GetTagItem("loadstone.pick_reason"));
                Assert.Equal("success", second.GetTagItem(OutcomeTag));
                Assert.Equal(ActivityStatusCode.Unset, second.Status);
                Assert.True(first.StartTimeUtc <= second.StartTimeUtc);
            }
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_PoolFailingOpen_PickReasonSaysSo()
    {
        var service = UniqueService("trace-open");
        using var traces = new ActivityCollector(service);
        var time = TestClock.Create();
        var backend = await TestBackend.StartAsync("to");
        backend.StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Endpoints.Add(backend.Address.ToString());
            }, time: time);
            await host.GetAsync(SecretPath, 5); // ejects the only endpoint: the pool fails open
            Assert.True(host.Pool.IsFailingOpen);

            await host.GetAsync(SecretPath, 1);

            var activities = traces.Stopped.ToArray();
            Assert.Equal(6, activities.Length);
            Assert.All(activities.Take(5), a => Assert.Equal("strategy", a.GetTagItem("loadstone.pick_reason")));
            Assert.Equal("strategy, failing open", activities[5].GetTagItem("loadstone.pick_reason"));
            Assert.Equal("server_error", activities[5].GetTagItem(OutcomeTag));
        }
        finally
        {
            await backend.DisposeAsync();
        }
    }
}
