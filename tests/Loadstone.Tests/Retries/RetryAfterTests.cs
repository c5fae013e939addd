using System.Net;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Retries;

/// <summary>
/// Retry-After on a 429 or 503 keeps its endpoint out of picks for the advised time, bounded by MaxRetryAfter, on the
/// pool's manual clock; real Kestrel backends.
/// </summary>
public sealed class RetryAfterTests
{
    private static (ServicePool Pool, HttpClient Client, FakeTimeProvider Time) Create(string service, Action<LoadBalancingOptions>? configure,
        params TestBackend[] backends)
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backends.Select(b => b.Address.ToString()).ToArray());
        setup.Options.HealthChecks.Passive.ConsecutiveGatewayErrors = 0;
        setup.Options.HealthChecks.Passive.ConsecutiveServerErrors = 0;
        configure?.Invoke(setup.Options);
        var pool = setup.Create(service);
        return (pool, new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())), time);
    }

    private static async Task SendAsync(HttpClient client, string service, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync($"http://{service}/items");
        }
    }

    [Fact]
    public async Task SendAsync_503WithRetryAfter_EndpointAvoidedForTheAdvisedTime()
    {
        await using var busy = await TestBackend.StartAsync("busy");
        await using var other = await TestBackend.StartAsync("other");
        (busy.StatusCode, busy.RetryAfter) = (503, "5");
        var (pool, client, time) = Create("retry-after", null, busy, other);
        using var _1 = pool;
        using var _2 = client;

        using (var first = await client.GetAsync("http://retry-after/items"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // the 503 was retried on the other endpoint
        }

        Assert.Equal(1, busy.RequestCount);
        var status = Status(pool, 0);
        Assert.Equal((true, EndpointRoutingNote.RetryAfter, time.GetUtcNow().AddSeconds(5)), (status.IsRoutable, status.Note, status.RetryAfterUntil));

        await SendAsync(client, "retry-after", 10);
        time.Advance(TimeSpan.FromSeconds(4.9));
        await SendAsync(client, "retry-after", 10);
        Assert.Equal(1, busy.RequestCount);

        busy.RetryAfter = null;
        busy.StatusCode = 200;
        time.Advance(TimeSpan.FromSeconds(0.1));
        await SendAsync(client, "retry-after", 10);
        Assert.Equal(6, busy.RequestCount); // round robin again: every other request
        Assert.Equal(EndpointRoutingNote.None, Status(pool, 0).Note);
    }

    [Fact]
    public async Task SendAsync_429WithALongRetryAfter_BoundedByMaxRetryAfter()
    {
        await using var limited = await TestBackend.StartAsync("limited");
        await using var other = await TestBackend.StartAsync("other");
        (limited.StatusCode, limited.RetryAfter) = (429, "3600");
        var (pool, client, time) = Create("retry-after-max", o => o.HealthChecks.Passive.MaxRetryAfter = TimeSpan.FromSeconds(20), limited, other);
        using var _1 = pool;
        using var _2 = client;

        using (var first = await client.GetAsync("http://retry-after-max/items"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode); // 429 is not retried by default
        }

        Assert.Equal(time.GetUtcNow().AddSeconds(20), Status(pool, 0).RetryAfterUntil);
        limited.StatusCode = 200;
        limited.RetryAfter = null;
        time.Advance(TimeSpan.FromSeconds(19));
        await SendAsync(client, "retry-after-max", 6);
        Assert.Equal(1, limited.RequestCount);
        time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(client, "retry-after-max", 6);
        Assert.Equal(4, limited.RequestCount);
    }

    [Fact]
    public async Task SendAsync_RetryAfterAsADate_AvoidedUntilThatDate()
    {
        await using var busy = await TestBackend.StartAsync("busy");
        await using var other = await TestBackend.StartAsync("other");
        var (pool, client, time) = Create("retry-after-date", null, busy, other);
        using var _1 = pool;
        using var _2 = client;
        (busy.StatusCode, busy.RetryAfter) = (503, time.GetUtcNow().AddSeconds(8).ToString("r"));

        using var first = await client.GetAsync("http://retry-after-date/items");

        Assert.Equal(time.GetUtcNow().AddSeconds(8), Status(pool, 0).RetryAfterUntil);
    }

    [Fact]
    public async Task SendAsync_MaxRetryAfterZero_RetryAfterIgnored()
    {
        await using var busy = await TestBackend.StartAsync("busy");
        await using var other = await TestBackend.StartAsync("other");
        (busy.StatusCode, busy.RetryAfter) = (503, "5");
        var (pool, client, _) = Create("retry-after-off", o => o.HealthChecks.Passive.MaxRetryAfter = TimeSpan.Zero, busy, other);
        using var _1 = pool;
        using var _2 = client;

        await SendAsync(client, "retry-after-off", 4);

        Assert.Null(Status(pool, 0).RetryAfterUntil);
        Assert.True(busy.RequestCount >= 2, $"{busy.RequestCount}");
    }

    [Fact]
    public async Task SendAsync_EveryEndpointUnderRetryAfter_StillRouted()
    {
        await using var only = await TestBackend.StartAsync("only");
        (only.StatusCode, only.RetryAfter) = (503, "30");
        var (pool, client, _) = Create("retry-after-all", o => o.Retries.Enabled = false, only);
        using var _1 = pool;
        using var _2 = client;

        await SendAsync(client, "retry-after-all", 3);

        Assert.Equal(3, only.RequestCount); // a pause is a preference, never a reason to fail a request
    }
}
