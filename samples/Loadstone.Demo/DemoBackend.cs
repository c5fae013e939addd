using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Demo;

/// <summary>
/// One instance of the "catalog" service: a real Kestrel server on 127.0.0.1 with an ephemeral port, in this process.
/// It answers every request with its own name after a simulated processing time.
/// </summary>
internal sealed class DemoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoBackend(WebApplication app, string name, string zone, int weight, TimeSpan latency)
    {
        _app = app;
        Name = name;
        Zone = zone;
        Weight = weight;
        Latency = latency;
    }

    public string Name { get; }

    /// <summary>The zone the instance is said to run in (shown in tables; it does not change routing yet).</summary>
    public string Zone { get; }

    /// <summary>The weight the client gives this instance's endpoint.</summary>
    public int Weight { get; }

    /// <summary>The simulated processing time of each request.</summary>
    public TimeSpan Latency { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>The status code every request gets after the simulated latency; 200 unless the demo breaks it.</summary>
    public int StatusCode { get; set; } = 200;

    /// <summary>The endpoint a client registers for this instance.</summary>
    public LoadBalancedEndpoint ToEndpoint() => new(Address, Zone, Weight);

    public static async Task<DemoBackend> StartAsync(string name, string zone, int weight, TimeSpan latency)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new DemoBackend(app, name, zone, weight, latency);
        app.Run(backend.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Address = new Uri(address);
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        await Task.Delay(Latency, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCode;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(Name, context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
