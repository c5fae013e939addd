using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Loadstone.Grpc.Tests.Echo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Grpc.Tests;

/// <summary>
/// A real Grpc.AspNetCore server on 127.0.0.1 (ephemeral port, HTTP/2 without TLS: h2c) serving the Echo service and
/// the gRPC health service. Tests switch its behaviour at run time: a status to fail with, a delay, its health.
/// </summary>
public sealed class GrpcBackend : IAsyncDisposable
{
    private WebApplication _app = null!;
    private int _unary;
    private int _streams;
    private bool _stopped;

    private GrpcBackend(string name) => Name = name;

    public string Name { get; }

    public Uri Address { get; private set; } = null!;

    public int UnaryCount => Volatile.Read(ref _unary);

    public int StreamCount => Volatile.Read(ref _streams);

    /// <summary>The status every call fails with; OK (the default) answers.</summary>
    public StatusCode Failure { get; set; } = StatusCode.OK;

    /// <summary>A delay before each unary answer; zero by default.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The server's gRPC health service: set a service's status to answer health checks with.</summary>
    public HealthServiceImpl Health { get; } = new();

    public static async Task<GrpcBackend> StartAsync(string name)
    {
        var backend = new GrpcBackend(name);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(backend);
        builder.Services.AddSingleton(backend.Health);
        backend._app = builder.Build();
        backend._app.MapGrpcService<EchoService>();
        backend._app.MapGrpcService<HealthServiceImpl>();
        backend.Health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        await backend._app.StartAsync();
        var address = backend._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Address = new Uri(address);
        return backend;
    }

    public static async Task<GrpcBackend[]> StartManyAsync(int count, string prefix = "g") =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => StartAsync($"{prefix}{i}")));

    public void ResetCounts()
    {
        Interlocked.Exchange(ref _unary, 0);
        Interlocked.Exchange(ref _streams, 0);
    }

    /// <summary>Stops the server abruptly: open connections are aborted and the port closes, as when a process dies.</summary>
    public async Task KillAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync(new CancellationToken(canceled: true));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _app.DisposeAsync();
    }

    private sealed class EchoService(GrpcBackend backend) : Echo.Echo.EchoBase
    {
        public override async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref backend._unary);
            if (backend.Delay > TimeSpan.Zero)
            {
                await Task.Delay(backend.Delay, context.CancellationToken);
            }

            if (backend.Failure != StatusCode.OK)
            {
                throw new RpcException(new Status(backend.Failure, $"{backend.Name} fails on purpose"));
            }

            return new EchoReply { Backend = backend.Name, Text = request.Text };
        }

        public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            Interlocked.Increment(ref backend._streams);
            if (backend.Failure != StatusCode.OK)
            {
                throw new RpcException(new Status(backend.Failure, $"{backend.Name} fails on purpose"));
            }

            for (var i = 0; i < request.Count; i++)
            {
                if (i > 0 && request.IntervalMs > 0)
                {
                    await Task.Delay(request.IntervalMs, context.CancellationToken);
                }

                await responseStream.WriteAsync(new EchoReply { Backend = backend.Name, Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        }
    }
}
