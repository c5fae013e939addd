using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Tests;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 with an ephemeral port. It answers every path with its own name and counts
/// requests; tests switch its behaviour (status code, delay) at run time.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private TestBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    public int Port => Address.Port;

    public int RequestCount => Volatile.Read(ref _count);

    /// <summary>The status code every request gets; 200 by default.</summary>
    public int StatusCode { get; set; } = 200;

    /// <summary>A delay before each answer; zero by default.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The paths and queries received, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The Host header of each request received, in order.</summary>
    public ConcurrentQueue<string> HostHeaders { get; } = new();

    public static async Task<TestBackend> StartAsync(string name, Action<KestrelListen>? listen = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (listen is null)
            {
                k.Listen(System.Net.IPAddress.Loopback, 0);
            }
            else
            {
                listen(new KestrelListen(k));
            }
        });
        var app = builder.Build();
        var backend = new TestBackend(app, name);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return backend;
    }

    public static async Task<TestBackend[]> StartManyAsync(int count, string prefix = "b")
    {
        var backends = new TestBackend[count];
        for (var i = 0; i < count; i++)
        {
            backends[i] = await StartAsync($"{prefix}{i}");
        }

        return backends;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _count);
        Received.Enqueue(context.Request.Path + context.Request.QueryString);
        HostHeaders.Enqueue(context.Request.Host.Value ?? string.Empty);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        context.Response.StatusCode = StatusCode;
        await context.Response.WriteAsync(Name);
    }

    public void ResetCount() => Interlocked.Exchange(ref _count, 0);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed class KestrelListen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions options)
    {
        public Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions Options { get; } = options;
    }
}
