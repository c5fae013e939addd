using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Tests.Health;

/// <summary>Shared helpers of the health and retry tests.</summary>
internal static class HealthKit
{
    /// <summary>How long a test waits for something asynchronous (a probe's answer) before failing.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);

    /// <summary>Waits (bounded) for an asynchronous result, failing with <paramref name="what"/> when it does not come.</summary>
    public static void WaitFor(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, WaitLimit), $"Timed out waiting for: {what}");

    /// <summary>A pool over the given addresses on the given (fake) clock, no jitter anywhere, passive checks on (their defaults).</summary>
    public static PoolSetup Setup(TimeProvider time, string strategy, params string[] addresses)
    {
        var setup = new PoolSetup
        {
            Options = new LoadBalancingOptions { Strategy = strategy },
            Time = time,
            Random = new Random(7),
        };
        foreach (var address in addresses)
        {
            setup.Options.Endpoints.Add(address);
        }

        return setup;
    }

    /// <summary>Active checks on, every 10 s with a 2 s timeout and no jitter; passive checks off so probes alone decide.</summary>
    public static ActiveHealthCheckOptions EnableActive(PoolSetup setup, Action<ActiveHealthCheckOptions>? configure = null)
    {
        var active = new ActiveHealthCheckOptions
        {
            Enabled = true,
            Interval = TimeSpan.FromSeconds(10),
            Timeout = TimeSpan.FromSeconds(2),
            Jitter = 0,
        };
        configure?.Invoke(active);
        setup.Options.HealthChecks.Active = active;
        setup.Options.HealthChecks.Passive.Enabled = false;
        return active;
    }

    /// <summary>Fake addresses (never contacted: only for pools without active checks).</summary>
    public static string Fake(int index) => $"http://10.0.0.{index + 1}:8080";

    /// <summary>A port on 127.0.0.1 that nothing listens on: bound, then released.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static EndpointStatus Status(ServicePool pool, int index) => pool.GetStatus().Endpoints[index];

    public static EndpointState State(ServicePool pool, string address)
    {
        var id = new LoadBalancedEndpoint(address).Id;
        return pool.Endpoints.Single(s => s.Endpoint.Id == id);
    }

    /// <summary>
    /// Acquires once and completes with <paramref name="outcome"/>, then lets the control plane act on it (an
    /// ejection); returns the endpoint chosen.
    /// </summary>
    public static LoadBalancedEndpoint Complete(ServicePool pool, RequestOutcome outcome)
    {
        var lease = pool.Acquire();
        lease.Complete(outcome);
        pool.Settle();
        return lease.Endpoint;
    }

    /// <summary>Completes <paramref name="count"/> requests on exactly the given endpoint, then lets the control plane act.</summary>
    public static void CompleteOn(ServicePool pool, EndpointState state, RequestOutcome outcome, int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            new EndpointLease(state, pool.TimeProvider).Complete(outcome);
        }

        pool.Settle();
    }

    public static async Task StopAll(IEnumerable<TestBackend?> backends)
    {
        foreach (var backend in backends)
        {
            if (backend is not null)
            {
                await backend.DisposeAsync();
            }
        }
    }
}

/// <summary>Wraps the probe handler: counts probes as they start and can hold them (ignoring cancellation) until released.</summary>
internal sealed class ProbeGate : DelegatingHandler
{
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _finished;

    public ProbeGate(bool holding = false)
        : base(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        if (!holding)
        {
            _open.TrySetResult();
        }
    }

    public int Started => Volatile.Read(ref _started);

    /// <summary>Probes that ended here (answered or failed), before the prober looks at the outcome.</summary>
    public int Finished => Volatile.Read(ref _finished);

    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    public void Release() => _open.TrySetResult();

    public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        Requests.Enqueue(request);
        try
        {
            var open = _open;
            if (!open.Task.IsCompleted)
            {
                // Held: the probe stays in flight whatever its timeout says, so only the scheduling rule can start another.
                await open.Task.ConfigureAwait(false);
                return await base.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _finished);
        }
    }
}

/// <summary>A Kestrel backend on 127.0.0.1 that records each request's User-Agent and answers 200 (or as told).</summary>
internal sealed class UserAgentBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private UserAgentBackend(WebApplication app) => _app = app;

    public ConcurrentQueue<string> UserAgents { get; } = new();

    public Uri Address { get; private set; } = null!;

    public static async Task<UserAgentBackend> StartAsync(Func<HttpContext, Task>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new UserAgentBackend(app);
        app.Run(context =>
        {
            backend.UserAgents.Enqueue(context.Request.Headers.UserAgent.ToString());
            return answer?.Invoke(context) ?? context.Response.WriteAsync("ok");
        });
        await app.StartAsync();
        backend.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
