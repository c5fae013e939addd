using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary>
/// Every state change is both counted on the meter and logged with a stable event id, while real requests flow to
/// Kestrel backends: ejection and its end, fail-open start and end, membership changes, rejected source updates.
/// Time-driven changes (ejections ending, slow start) run on a manual clock.
/// </summary>
public sealed class StateChangeTelemetryTests
{
    [Fact]
    public async Task SendAsync_FiveConsecutiveServerErrors_EjectsWithMetricLogAndHealthGauge()
    {
        var service = UniqueService("eject");
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2, "e");
        backends[0].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable;
                o.SlowStart.Window = TimeSpan.FromSeconds(60);
                o.Endpoints.Add(backends[0].Address.ToString());
                o.Endpoints.Add(backends[1].Address.ToString());
            }, time: time);
            var bad = EndpointOf(backends[0]);

            Assert.All(await host.GetAsync(SecretPath, 4), c => Assert.Equal(500, c));
            Assert.Equal(0, host.Metrics.Sum("loadstone.endpoint.ejections"));
            Assert.Empty(host.Logs.Library);

            Assert.Equal(new[] { 500 }, await host.GetAsync(SecretPath, 1));

            var ejection = Assert.Single(host.Metrics.Of("loadstone.endpoint.ejections"));
            Assert.Equal(1, ejection.Value);
            Assert.Equal(bad, ejection.Tag(EndpointTag));
            Assert.Equal(nameof(EndpointHealthReason.EjectedConsecutiveServerErrors), ejection.Tag(ReasonTag));
            Assert.Equal(5, host.Metrics.Sum("loadstone.attempts", (EndpointTag, bad), (OutcomeTag, "server_error")));
            Assert.Equal(5, host.Metrics.Sum("loadstone.requests", (OutcomeTag, "server_error")));

            var logged = Assert.Single(host.Logs.Library);
            Assert.Equal((20, "EndpointEjected", LogLevel.Warning), (logged.Id.Id, logged.Id.Name, logged.Level));
            Assert.Equal(service, logged.Service);
            Assert.Contains(bad, logged.Message, StringComparison.Ordinal);

            var health = host.Metrics.Observe("loadstone.endpoint.health").ToDictionary(h => h.Tag(EndpointTag)!);
            Assert.Equal(nameof(EndpointHealth.Unhealthy), health[bad].Tag(HealthTag));
            Assert.Equal(nameof(EndpointHealthReason.EjectedConsecutiveServerErrors), health[bad].Tag(ReasonTag));
            Assert.Equal(nameof(EndpointHealth.Unchecked), health[EndpointOf(backends[1])].Tag(HealthTag));

            // Traffic moves to the other endpoint; the ejection ends after 30 s and slow start ramps the endpoint back.
            Assert.Equal(new[] { 200 }, await host.GetAsync(SecretPath, 1));
            backends[0].StatusCode = 200;
            time.AdvanceInSteps(TimeSpan.FromSeconds(31)); // the ejection ends at 30 s, and slow start starts then

            var ended = Assert.Single(host.Logs.Library, e => e.Id.Id == 21);
            Assert.Equal(("EjectionEnded", LogLevel.Information), (ended.Id.Name, ended.Level));
            Assert.Contains(bad, ended.Message, StringComparison.Ordinal);
            Assert.Equal(nameof(EndpointHealth.Unchecked), host.Metrics.Observe("loadstone.endpoint.health").Single(h => h.Tag(EndpointTag) == bad).Tag(HealthTag));
            Assert.Equal(0.1, host.Metrics.Observe("loadstone.endpoint.weight_factor").Single(f => f.Tag(EndpointTag) == bad).Value, 6);
            time.Advance(TimeSpan.FromSeconds(29));
            Assert.Equal(0.5, host.Metrics.Observe("loadstone.endpoint.weight_factor").Single(f => f.Tag(EndpointTag) == bad).Value, 6);
            Assert.Equal(1, host.Metrics.Observe("loadstone.endpoint.weight_factor").Single(f => f.Tag(EndpointTag) != bad).Value);
            Assert.Equal(1, host.Metrics.Sum("loadstone.endpoint.ejections"));
            AssertNoRequestData(host.Metrics.All.Select(r => r.Tags));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_EveryEndpointEjected_FailOpenStartsAndEndsWithMetricsAndLogs()
    {
        var service = UniqueService("failopen");
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2, "f");
        backends[0].StatusCode = backends[1].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable;
                o.HealthChecks.Passive.MaxEjectionPercent = 100;
                o.Endpoints.Add(backends[0].Address.ToString());
                o.Endpoints.Add(backends[1].Address.ToString());
            }, time: time);

            await host.GetAsync(SecretPath, 5); // ejects the first; the second still serves, no fail-open
            Assert.Equal(0, host.Metrics.Sum("loadstone.pool.fail_open.episodes"));
            Assert.Equal(0, Assert.Single(host.Metrics.Observe("loadstone.pool.fail_open")).Value);

            await host.GetAsync(SecretPath, 5); // ejects the second: none healthy

            Assert.Equal(2, host.Metrics.Sum("loadstone.endpoint.ejections"));
            var episode = Assert.Single(host.Metrics.Of("loadstone.pool.fail_open.episodes"));
            Assert.Equal(1, episode.Value);
            Assert.Equal([ServiceTag], episode.Tags.Keys);
            Assert.Equal(1, Assert.Single(host.Metrics.Observe("loadstone.pool.fail_open")).Value);
            var started = Assert.Single(host.Logs.Library, e => e.Id.Id == 23);
            Assert.Equal(("FailOpenStarted", LogLevel.Warning, service), (started.Id.Name, started.Level, started.Service));
            Assert.Contains("only 0 of 2", started.Message, StringComparison.Ordinal);
            Assert.Equal([20, 20, 23], host.Logs.Library.Select(e => e.Id.Id));

            // Failing open, requests still reach the (ejected) endpoints.
            backends[0].StatusCode = backends[1].StatusCode = 200;
            Assert.Equal(new[] { 200 }, await host.GetAsync(SecretPath, 1));

            time.Advance(TimeSpan.FromSeconds(31));

            var ended = Assert.Single(host.Logs.Library, e => e.Id.Id == 24);
            Assert.Equal(("FailOpenEnded", LogLevel.Information), (ended.Id.Name, ended.Level));
            Assert.Equal(0, Assert.Single(host.Metrics.Observe("loadstone.pool.fail_open")).Value);
            Assert.Equal(1, host.Metrics.Sum("loadstone.pool.fail_open.episodes"));
            Assert.Equal(2, host.Logs.Library.Count(e => e.Id.Id == 21));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SourceUpdate_NewEndpointThenBadSet_CountsMembershipChangeAndLogsRejection()
    {
        var service = UniqueService("members");
        var backends = await TestBackend.StartManyAsync(2, "s");
        var first = new LoadBalancedEndpoint(backends[0].Address);
        var second = new LoadBalancedEndpoint(backends[1].Address);
        var source = new DynamicEndpointSource("registry", [first]);
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
            }, build: b => b.AddEndpointSource(source));
            Assert.Equal(new[] { 200, 200 }, await host.GetAsync(SecretPath, 2));
            Assert.Equal(2, backends[0].RequestCount);

            var initial = Assert.Single(host.Logs.Library);
            Assert.Equal((1, "MembershipChanged", LogLevel.Information), (initial.Id.Id, initial.Id.Name, initial.Level));
            Assert.Equal(1, host.Metrics.Sum("loadstone.pool.membership.changes"));

            source.Update([first, second]);
            Eventually(() => host.Logs.Library.Count(e => e.Id.Id == 1) == 2, "the second membership change");

            var grown = host.Logs.Library.Last(e => e.Id.Id == 1);
            Assert.Equal(LogLevel.Information, grown.Level);
            Assert.Contains("now has 2 endpoints", grown.Message, StringComparison.Ordinal);
            Assert.Contains("'registry'", grown.Message, StringComparison.Ordinal);
            Assert.Equal(2, host.Metrics.Sum("loadstone.pool.membership.changes"));
            Assert.All(host.Metrics.Of("loadstone.pool.membership.changes"), r => Assert.Equal([ServiceTag], r.Tags.Keys));
            Assert.Equal(2, Assert.Single(host.Metrics.Observe("loadstone.pool.endpoints")).Value);
            Assert.Equal(new[] { 200, 200 }, await host.GetAsync(SecretPath, 2));
            Assert.Equal(1, backends[1].RequestCount);

            source.Update([first, first]);
            Eventually(() => host.Logs.Library.Any(e => e.Id.Id == 2), "the rejected update");

            var rejected = Assert.Single(host.Logs.Library, e => e.Id.Id == 2);
            Assert.Equal(("SourceUpdateRejected", LogLevel.Warning, service), (rejected.Id.Name, rejected.Level, rejected.Service));
            Assert.Contains("'registry'", rejected.Message, StringComparison.Ordinal);
            Assert.Equal(2, host.Metrics.Sum("loadstone.pool.membership.changes"));
            Assert.Equal(2, Assert.Single(host.Metrics.Observe("loadstone.pool.endpoints")).Value);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_ManyRequests_LogsNothingPerRequestAboveDebug()
    {
        var service = UniqueService("quiet");
        var backends = await TestBackend.StartManyAsync(2, "q");
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                foreach (var backend in backends)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            });

            Assert.All(await host.GetAsync(SecretPath, 30), c => Assert.Equal(200, c));

            // The logger does see per-request entries: HttpClientFactory's own, at Information.
            Assert.True(host.Logs.Entries.Count(e => e.Category?.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal) == true
                && e.Level == LogLevel.Information) >= 30);
            Assert.DoesNotContain(host.Logs.Library, e => e.Level > LogLevel.Debug);
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
