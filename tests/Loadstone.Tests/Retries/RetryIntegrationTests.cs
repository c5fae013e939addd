using System.Net;
using System.Text;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Retries;

/// <summary>Retries on another endpoint, against real Kestrel backends that the tests stop, restart and switch.</summary>
public sealed class RetryIntegrationTests
{
    private const string Url = "http://catalog/items";

    private static (ServicePool Pool, HttpClient Client) Create(PoolSetup setup)
    {
        var pool = setup.Create("catalog");
        var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(30) };
        return (pool, client);
    }

    private static PoolSetup SetupFor(FakeTimeProvider time, string strategy, IEnumerable<TestBackend> backends)
    {
        var setup = Setup(time, strategy, backends.Select(b => b.Address.ToString()).ToArray());
        setup.Random = null; // concurrent picks: never a seeded Random
        return setup;
    }

    /// <summary>Sends <paramref name="total"/> GETs from <paramref name="concurrency"/> workers; the one sending number
    /// <paramref name="actAt"/> first runs <paramref name="act"/> while the others keep going.</summary>
    private static async Task<(int Ok, int Failed)> LoadAsync(HttpClient client, int total, int concurrency, int actAt = 0, Func<Task>? act = null)
    {
        int next = 0, ok = 0, failed = 0;
        // Requests after the act wait for it to finish (stopping a backend takes a while on a busy machine), so the
        // requests that follow it really meet its effect.
        var acted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var i && i <= total)
            {
                if (i == actAt && act is not null)
                {
                    await act();
                    acted.TrySetResult();
                }
                else if (i > actAt && act is not null)
                {
                    await acted.Task;
                }

                try
                {
                    using var response = await client.GetAsync(Url);
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref failed);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        return (ok, failed);
    }

    private static Task<TestBackend> RestartAsync(string name, int port) =>
        TestBackend.StartAsync(name, l => l.Options.Listen(IPAddress.Loopback, port));

    [Fact]
    public async Task SendAsync_BackendStoppedUnderLoadWithRetries_NoFailedRequestsAndTrafficReturns()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(3);
        TestBackend? restarted = null;
        try
        {
            var (pool, client) = Create(SetupFor(time, LoadBalancingStrategies.RoundRobin, backends));
            using var _1 = pool;
            using var _2 = client;
            var port = backends[1].Port;

            var (ok, failed) = await LoadAsync(client, 300, 4, 100, () => backends[1].DisposeAsync().AsTask());

            Assert.Equal((300, 0), (ok, failed));
            var stopped = Status(pool, 1);
            // A server shutting down under load may answer a request or two on a kept-alive connection with a 502/503/504
            // before it refuses connections: the streak that crosses is then a gateway streak rather than a local one.
            Assert.Equal(EndpointHealth.Unhealthy, stopped.Health);
            Assert.Contains(stopped.Reason, (EndpointHealthReason[])[EndpointHealthReason.EjectedConsecutiveLocalFailures, EndpointHealthReason.EjectedConsecutiveGatewayErrors]);
            Assert.InRange(stopped.FailedRequests, 5, 10); // each failed attempt was counted, then the ejection stopped them

            restarted = await RestartAsync("b1", port);
            time.Advance(TimeSpan.FromSeconds(30)); // the ejection ends
            Assert.Equal((60, 0), await LoadAsync(client, 60, 1));
            Assert.Equal(20, restarted.RequestCount);
        }
        finally
        {
            await StopAll([backends[0], backends[2], restarted]);
        }
    }

    [Fact]
    public async Task SendAsync_BackendStoppedWithoutRetries_FailuresBoundedByTheConsecutiveThreshold()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(3);
        TestBackend? restarted = null;
        try
        {
            var setup = SetupFor(time, LoadBalancingStrategies.RoundRobin, backends);
            setup.Options.Retries.Enabled = false;
            setup.Options.Requeues.Enabled = false;
            setup.Options.HealthChecks.Passive.SplitLocalFailures = true;
            setup.Options.HealthChecks.Passive.ConsecutiveLocalFailures = 4;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;
            var port = backends[1].Port;

            var (ok, failed) = await LoadAsync(client, 150, 1, 50, () => backends[1].DisposeAsync().AsTask());

            Assert.Equal((146, 4), (ok, failed));
            await pool.SettleAsync();
            Assert.Equal(EndpointHealth.Unhealthy, Status(pool, 1).Health);

            restarted = await RestartAsync("b1", port);
            time.Advance(TimeSpan.FromSeconds(30));
            Assert.Equal((30, 0), await LoadAsync(client, 30, 1));
            Assert.Equal(10, restarted.RequestCount);
        }
        finally
        {
            await StopAll([backends[0], backends[2], restarted]);
        }
    }

    [Fact]
    public async Task SendAsync_BackendReturnsWithSlowStart_ItsShareRamps()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(3);
        TestBackend? restarted = null;
        try
        {
            var setup = SetupFor(time, LoadBalancingStrategies.WeightedRoundRobin, backends);
            setup.Options.SlowStart.Window = TimeSpan.FromSeconds(100);
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;
            var port = backends[1].Port;
            Assert.Equal((150, 0), await LoadAsync(client, 150, 4, 50, () => backends[1].DisposeAsync().AsTask()));
            await pool.SettleAsync();
            Assert.Equal(EndpointHealth.Unhealthy, Status(pool, 1).Health);

            restarted = await RestartAsync("b1", port);
            time.Advance(TimeSpan.FromSeconds(30)); // the ejection ends: slow start begins at 10 %
            Assert.Equal(0.1, Status(pool, 1).WeightFactor, 6);
            Assert.Equal((210, 0), await LoadAsync(client, 210, 1));
            Assert.Equal(10, restarted.RequestCount); // 0.1 of 2.1

            time.Advance(TimeSpan.FromSeconds(50));
            restarted.ResetCount();
            Assert.Equal((250, 0), await LoadAsync(client, 250, 1));
            Assert.Equal(50, restarted.RequestCount); // 0.5 of 2.5

            time.Advance(TimeSpan.FromSeconds(50));
            restarted.ResetCount();
            Assert.Equal((30, 0), await LoadAsync(client, 30, 1));
            Assert.Equal(10, restarted.RequestCount);
        }
        finally
        {
            await StopAll([backends[0], backends[2], restarted]);
        }
    }

    [Fact]
    public async Task SendAsync_BackendAnswers503_RetriedElsewhereAndEveryAttemptFeedsPassiveHealth()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            backends[0].StatusCode = 503;
            var (pool, client) = Create(SetupFor(time, LoadBalancingStrategies.RoundRobin, backends));
            using var _1 = pool;
            using var _2 = client;

            Assert.Equal((30, 0), await LoadAsync(client, 30, 1));

            Assert.Equal(5, backends[0].RequestCount); // then ejected after 5 consecutive gateway errors
            var sick = Status(pool, 0);
            Assert.Equal((5L, 5L), (sick.TotalRequests, sick.FailedRequests));
            Assert.Equal(EndpointHealthReason.EjectedConsecutiveGatewayErrors, sick.Reason);
            Assert.Equal(35, backends.Sum(b => b.RequestCount));
            Assert.Equal(35, pool.GetStatus().Endpoints.Sum(e => e.TotalRequests));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_FirstChoiceAnswers503_RetryGoesToAnotherEndpoint()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = 503;
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.HealthChecks.Passive.Enabled = false;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            for (var i = 0; i < 10; i++)
            {
                Assert.Equal("b1", await client.GetStringAsync(Url));
            }

            Assert.Equal((10, 10), (backends[0].RequestCount, backends[1].RequestCount));
            Assert.Equal(10, Status(pool, 0).FailedRequests);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_ServerError500_NotRetriedByDefault()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = 500;
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.HealthChecks.Passive.Enabled = false;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            using var response = await client.GetAsync(Url);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal(0, backends[1].RequestCount);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendAsync_Post_RetriedOnlyWhenNonIdempotentAllowed(bool retryNonIdempotent)
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = 503;
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.HealthChecks.Passive.Enabled = false;
            setup.Options.Retries.RetryNonIdempotent = retryNonIdempotent;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            using var response = await client.PostAsync(Url, new StringContent("order", Encoding.UTF8));

            Assert.Equal(retryNonIdempotent ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(retryNonIdempotent ? 1 : 0, backends[1].RequestCount);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_ContentThatCannotBeReplayed_NotRetried()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = 503;
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.HealthChecks.Passive.Enabled = false;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            using var response = await client.PutAsync(Url, new StreamContent(new MemoryStream([1, 2, 3])));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(0, backends[1].RequestCount);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_CallerCancels_NotRetriedAndCancellationPropagates()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].Delay = TimeSpan.FromMinutes(1);
            var (pool, client) = Create(SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends));
            using var _1 = pool;
            using var _2 = client;
            using var cts = new CancellationTokenSource();

            var sending = client.GetAsync(Url, cts.Token);
            WaitFor(() => backends[0].RequestCount == 1, "the request in flight");
            await cts.CancelAsync();

            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
            Assert.Equal(cts.Token, ex.CancellationToken);
            Assert.Equal(0, backends[1].RequestCount);
            Assert.Equal((0L, 0L, 0), (Status(pool, 0).TotalRequests, Status(pool, 0).FailedRequests, Status(pool, 0).ActiveRequests));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_AttemptTimeout_CountsAsTimeoutAndRetriesElsewhere()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].Delay = TimeSpan.FromMinutes(1);
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.Retries.AttemptTimeout = TimeSpan.FromSeconds(2);
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            var sending = client.GetStringAsync(Url);
            WaitFor(() => backends[0].RequestCount == 1, "the slow attempt in flight");
            time.Advance(TimeSpan.FromSeconds(2));

            Assert.Equal("b1", await sending);
            Assert.Equal((1L, 1L), (Status(pool, 0).TotalRequests, Status(pool, 0).FailedRequests));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_RetryBudgetSpent_NoMoreRetries()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = backends[1].StatusCode = 503;
            var setup = SetupFor(time, LoadBalancingStrategies.RoundRobin, backends);
            setup.Options.HealthChecks.Passive.Enabled = false;
            setup.Options.Retries.MaxRetryAttempts = 2;
            setup.Options.Retries.BudgetPercent = 0;
            setup.Options.Retries.MinRetriesPerSecond = 1; // 10 retries per 10 s window
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            var (ok, failed) = await LoadAsync(client, 30, 1);

            Assert.Equal((0, 30), (ok, failed));
            Assert.Equal(30 + 10, backends.Sum(b => b.RequestCount));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_RetriesOff_FirstFailureReturned()
    {
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            backends[0].StatusCode = 503;
            var setup = SetupFor(time, LoadBalancingStrategies.FirstAvailable, backends);
            setup.Options.Retries.Enabled = false;
            var (pool, client) = Create(setup);
            using var _1 = pool;
            using var _2 = client;

            using var response = await client.GetAsync(Url);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(0, backends[1].RequestCount);
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
