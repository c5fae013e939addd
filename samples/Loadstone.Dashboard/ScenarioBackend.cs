using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Dashboard;

/// <summary>
/// One backend instance (of "catalog", or of "search" launched by the scaling group): a Kestrel server on 127.0.0.1
/// that the scenario slows down, breaks (500s), stops and starts again on the same port. Every path answers the same
/// way, health checks included.
/// </summary>
internal sealed class ScenarioBackend : IAsyncDisposable
{
    private WebApplication? _app;

    private ScenarioBackend(string name, string zone)
    {
        Name = name;
        Zone = zone;
    }

    public string Name { get; }

    public string Zone { get; }

    public int Port { get; private set; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>The simulated processing time of each request.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The status code every request gets; 200 unless the scenario breaks it.</summary>
    public int StatusCode { get; set; } = 200;

    public bool IsRunning => _app is not null;

    public static async Task<ScenarioBackend> StartAsync(string name, string zone)
    {
        var backend = new ScenarioBackend(name, zone);
        await backend.StartOnAsync(0).ConfigureAwait(false);
        return backend;
    }

    /// <summary>Stops listening: new connections are refused, as when an instance dies.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts again on the same port, as a restarted instance would.</summary>
    public Task RestartAsync() => _app is null ? StartOnAsync(Port) : Task.CompletedTask;

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StartOnAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        await Task.Delay(Latency, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCode;
        await context.Response.WriteAsync(Name, context.RequestAborted).ConfigureAwait(false);
    }
}
