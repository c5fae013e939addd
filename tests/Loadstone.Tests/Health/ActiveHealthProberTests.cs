using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using static Loadstone.Tests.Health.HealthKit;

namespace Loadstone.Tests.Health;

/// <summary>
/// What the prober sends (Host, a kept-alive connection), when it sends it (the jittered interval), and that disposing
/// the pool stops it: against real Kestrel backends, driven by a manual clock.
/// </summary>
public sealed class ActiveHealthProberTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Probe_UseServiceNameAsHost_HostHeaderIsTheServiceNameOnlyWhenOn(bool useServiceName)
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        setup.Options.UseServiceNameAsHost = useServiceName;
        EnableActive(setup);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first probe's answer");

        Assert.Equal(useServiceName ? "catalog" : $"127.0.0.1:{backend.Port}", Assert.Single(backend.HostHeaders));
    }

    [Fact]
    public async Task Probe_SeveralProbes_ReuseOneKeptAliveConnection()
    {
        var time = TestClock.Create();
        var connections = new ConnectionCounter();
        await using var backend = await TestBackend.StartAsync("a", connections.Listen);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);
        for (var probe = 1; probe <= 4; probe++)
        {
            var expected = probe;
            WaitFor(() => pool.Endpoints[0].ProbeSuccesses == expected, $"probe {probe}'s answer");
            time.Advance(Interval);
        }

        // Probes every few seconds on thousands of endpoints must not open a connection each (no "Connection: close").
        Assert.Equal(1, connections.Opened);
        Assert.Equal(0, connections.Closed);
    }

    [Fact]
    public async Task Probe_WithJitter_DelaysSpreadOverBothSidesOfTheInterval()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var recorder = new SendTimes(time);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => a.Jitter = 0.5);
        setup.ProbeHandler = () => recorder;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first answer");

        var delays = new List<TimeSpan>();
        for (var probe = 2; probe <= 41; probe++)
        {
            // The next probe was armed (from this instant) before the last answer was published.
            var armedAt = time.GetUtcNow();
            var step = TimeSpan.FromMilliseconds(100);
            for (var waited = TimeSpan.Zero; recorder.Times.Count < probe && waited <= TimeSpan.FromSeconds(16); waited += step)
            {
                time.Advance(step); // small steps, so that no jump passes the probe's own timeout
            }

            Assert.Equal(probe, recorder.Times.Count);
            delays.Add(recorder.Times.Last() - armedAt);
            var expected = probe;
            WaitFor(() => pool.Endpoints[0].ProbeSuccesses == expected, $"probe {probe}'s answer");
        }

        // Interval × (1 ± 0.5), uniformly: within [5 s, 15 s], and on both sides of 10 s. Each side holding none of 40
        // delays has a probability of 0.6^40 (about 1e-9) when the jitter works.
        var text = string.Join(", ", delays.Select(d => d.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)));
        Assert.True(delays.Any(d => d < TimeSpan.FromSeconds(9)), text);
        Assert.True(delays.Any(d => d > TimeSpan.FromSeconds(11)), text);
    }

    [Fact]
    public async Task Dispose_ProbingPool_NoTimerLeftAndNoFurtherProbe()
    {
        var time = new TimerCountingClock();
        var backends = await TestBackend.StartManyAsync(2);
        try
        {
            var setup = Setup(time, LoadBalancingStrategies.RoundRobin, [.. backends.Select(b => b.Address.ToString())]);
            EnableActive(setup);
            var pool = setup.Create("catalog");
            await pool.InitializeAsync();
            time.Advance(TimeSpan.Zero);
            WaitFor(() => pool.Endpoints.All(s => s.ProbeSuccesses == 1), "the first answers");
            // Housekeeping and one probe timer per endpoint (a probe in flight also holds its timeout's timer).
            WaitFor(() => time.TimerCount == 3, "three timers: housekeeping and two probes");

            pool.Dispose();

            Assert.Equal(0, time.TimerCount);
            time.Advance(Interval * 5);
            Assert.All(backends, b => Assert.Equal(1, b.RequestCount));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task Dispose_ProbingPool_ClosesTheProbeConnections()
    {
        var time = TestClock.Create();
        var connections = new ConnectionCounter();
        await using var backend = await TestBackend.StartAsync("a", connections.Listen);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first answer");
        Assert.Equal((1, 0), (connections.Opened, connections.Closed));

        pool.Dispose();

        // The probe client goes with the pool: its idle connection is closed now, not after the pooled idle timeout.
        WaitFor(() => connections.Closed == 1, "the probe connection to close");
    }

    [Fact]
    public async Task Dispose_ProbeAnsweredAfterwards_ResultIgnoredAndNoProbeRearmed()
    {
        var time = new TimerCountingClock();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate(holding: true);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => a.UnhealthyThreshold = 1);
        setup.ProbeHandler = () => gate;
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        Assert.Equal(1, gate.Started);

        pool.Dispose();
        gate.Release();

        // The held probe now fails (its client is gone); a disposed pool records no result and arms no further probe.
        // The result would be handed over right after the probe ends; no wait can prove a "never", so this one is short
        // and can only miss a regression on a very slow machine, never fail a correct pool.
        WaitFor(() => gate.Finished == 1, "the held probe to end");
        var state = pool.Endpoints[0];
        Assert.False(SpinWait.SpinUntil(() => state.ProbeFailures + state.ProbeSuccesses > 0, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(EndpointHealth.Initial, state.Health);
        Assert.Equal(0, time.TimerCount);
    }

    [Fact]
    public async Task InitializeAsync_AfterDispose_StartsNoTimerAndNoProbe()
    {
        var time = new TimerCountingClock();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        var pool = setup.Create("catalog");

        pool.Dispose();
        await pool.InitializeAsync();
        time.Advance(Interval * 3);

        Assert.Equal(0, time.TimerCount);
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task Probe_EndpointLeavesOrDrains_ItsProbeStopsAndRestartsIfItComesBack()
    {
        var time = new TimerCountingClock();
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            var source = new DynamicEndpointSource("registry", backends.Select(b => new LoadBalancedEndpoint(b.Address.ToString())));
            var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
            setup.Sources.Add(source);
            setup.Options.DeregistrationDelay = TimeSpan.FromMinutes(5);
            EnableActive(setup);
            using var pool = setup.Create("catalog");
            await pool.InitializeAsync();
            time.Advance(TimeSpan.Zero);
            WaitFor(() => pool.Endpoints.All(s => s.ProbeSuccesses == 1), "the first answers");
            WaitFor(() => time.TimerCount == 4, "four timers: housekeeping and three probes");
            var lease = new EndpointLease(pool.Endpoints[1], time); // keeps endpoint 1 draining when it leaves

            source.Update([new LoadBalancedEndpoint(backends[0].Address.ToString())]);
            WaitFor(() => pool.Endpoints.Count(s => s.Health == EndpointHealth.Draining) == 1 && pool.Endpoints.Count == 2, "one gone, one draining");

            // Only endpoint 0 is still probed: the one that left and the draining one are not.
            Assert.Equal(2, time.TimerCount);
            time.Advance(Interval);
            WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 2, "endpoint 0's second probe");
            Assert.Equal([2, 1, 1], backends.Select(b => b.RequestCount));

            // The draining one comes back before it is dropped: probed again at once.
            source.Update(backends.Take(2).Select(b => new LoadBalancedEndpoint(b.Address.ToString())));
            WaitFor(() => pool.Endpoints.Count == 2 && pool.Endpoints.All(s => s.Health != EndpointHealth.Draining), "endpoint 1 back");
            WaitFor(() => backends[1].RequestCount == 2, "endpoint 1 probed again");
            WaitFor(() => time.TimerCount == 3, "three timers: housekeeping and two probes");
            lease.Complete(RequestOutcome.Success);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task TryApplyOptions_AfterDispose_StartsNoProbe()
    {
        var time = new TimerCountingClock();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first answer");
        pool.Dispose();

        // A reload that reaches a pool already disposed (a configuration change racing its shutdown) publishes a
        // snapshot: the disposed prober must not start probing its endpoints again.
        var reloaded = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(reloaded);
        pool.TryApplyOptions(reloaded.Options);

        Assert.Equal(0, time.TimerCount);
    }

    /// <summary>Counts the TCP connections a Kestrel listener accepted and those that ended.</summary>
    private sealed class ConnectionCounter
    {
        private int _opened;
        private int _closed;

        public int Opened => Volatile.Read(ref _opened);

        public int Closed => Volatile.Read(ref _closed);

        public void Listen(TestBackend.KestrelListen listen) =>
            listen.Options.Listen(IPAddress.Loopback, 0, o => o.Use(next => async connection =>
            {
                Interlocked.Increment(ref _opened);
                try
                {
                    await next(connection);
                }
                finally
                {
                    Interlocked.Increment(ref _closed);
                }
            }));
    }

    /// <summary>A probe handler that notes the manual clock's time as each probe is sent.</summary>
    private sealed class SendTimes(TimeProvider time) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public ConcurrentQueue<DateTimeOffset> Times { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Times.Enqueue(time.GetUtcNow());
            return base.SendAsync(request, cancellationToken);
        }
    }
}
