using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Tests.Connections;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 (HTTP, or HTTPS with the given certificate) that counts the TCP connections it
/// accepts, answers every request with its name after <see cref="Delay"/>, and records the Host header of each request.
/// </summary>
public sealed class ConnectionCountingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;
    private int _requests;
    private bool _stopped;

    private ConnectionCountingBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    /// <summary>The endpoint address for a pool: <c>http://127.0.0.1:{port}</c> (the scheme is the client's business).</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>TCP connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How long each answer waits, so concurrent requests need concurrent connections.</summary>
    public TimeSpan Delay { get; set; }

    public ConcurrentQueue<string> HostHeaders { get; } = new();

    public static async Task<ConnectionCountingBackend> StartAsync(string name, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ConnectionCountingBackend? backend = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref backend!._connections);
                await next(connection);
            });
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        backend = new ConnectionCountingBackend(app, name);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Port = new Uri(address).Port;
        return backend;
    }

    /// <summary>Stops the server: its connections close and new connects are refused.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        HostHeaders.Enqueue(context.Request.Host.Value ?? string.Empty);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        await context.Response.WriteAsync(Name);
    }
}
