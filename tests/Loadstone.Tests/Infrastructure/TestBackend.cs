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
    private int _aborted;

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

    /// <summary>The status of each request by its number (1, 2, ...), overriding <see cref="StatusCode"/>; null by default.</summary>
    public Func<int, int>? StatusFor { get; set; }

    /// <summary>A Retry-After value sent with every answer; null by default.</summary>
    public string? RetryAfter { get; set; }

    /// <summary>Read each request's body, then abort the connection without answering (the request reached the server).</summary>
    public bool AbortAfterReading { get; set; }

    /// <summary>Requests whose connection the client aborted while this backend was delaying its answer.</summary>
    public int AbortedCount => Volatile.Read(ref _aborted);

    /// <summary>The bodies of the requests that had one, in order.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

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
        var number = Interlocked.Increment(ref _count);
        Received.Enqueue(context.Request.Path + context.Request.QueryString);
        HostHeaders.Enqueue(context.Request.Host.Value ?? string.Empty);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(context.Request.Body);
            Bodies.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
        }

        if (AbortAfterReading)
        {
            context.Abort();
            return;
        }

        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _aborted);
                throw;
            }
        }

        context.Response.StatusCode = StatusFor?.Invoke(number) ?? StatusCode;
        if (RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

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
