using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Balancing;

/// <summary>
/// A cancelled attempt feeds the latency average with its elapsed time as a lower bound, so PeakEwma sees a backend slower
/// than its callers' timeout although every attempt on it was cancelled. Real Kestrel backends, the pool's manual clock.
/// </summary>
public sealed class CancelledAttemptLatencyTests
{
    [Fact]
    public async Task SendAsync_CallerCancelsASlowAttempt_PeakEwmaStopsChoosingIt()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var fast = await TestBackend.StartAsync("fast");
        slow.Delay = TimeSpan.FromSeconds(30);
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.PeakEwma, slow.Address.ToString(), fast.Address.ToString());
        using var pool = setup.Create("cancelled-latency");
        using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
        var slowState = State(pool, slow.Address.ToString());

        // Until an attempt reaches the slow backend, both cost the initial 30 ms and share the picks.
        while (slow.RequestCount == 0)
        {
            using var cancel = new CancellationTokenSource();
            var sending = client.GetAsync("http://cancelled-latency/items", cancel.Token);
            WaitFor(() => slow.RequestCount > 0 || sending.IsCompleted, "an answer or the slow backend");
            if (slow.RequestCount > 0)
            {
                time.Advance(TimeSpan.FromMilliseconds(50)); // the caller's 50 ms timeout
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
            }
            else
            {
                (await sending).Dispose();
            }
        }

        Assert.True(slowState.Latency >= TimeSpan.FromMilliseconds(50), $"{slowState.Latency}");
        Assert.Equal((0L, 0L), (slowState.TotalRequests, slowState.FailedRequests)); // a cancellation is not the endpoint's failure
        for (var i = 0; i < 50; i++)
        {
            (await client.GetAsync("http://cancelled-latency/items")).Dispose();
        }

        Assert.Equal(1, slow.RequestCount); // 50 ms against 30 ms: never chosen again
    }
}
