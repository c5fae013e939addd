using System.Diagnostics;
using Grpc.Core;
using Loadstone.GrpcLab.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.GrpcLab;

/// <summary>
/// One backend process: a Grpc.AspNetCore server on 127.0.0.1 (h2c, ephemeral port) answering <c>Call</c> after its
/// service time. It prints its address on the first line of its output and stops when its input closes.
/// </summary>
internal static class Backend
{
    public static async Task<int> ServeAsync(string name, int delayMs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new State(name, delayMs));
        var app = builder.Build();
        app.MapGrpcService<LabService>();
        await app.StartAsync();
        Console.WriteLine(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    private sealed class State(string name, int delayMs)
    {
        public string Name { get; } = name;

        public volatile int DelayMs = delayMs;
    }

    private sealed class LabService(State state) : LabApi.LabApiBase
    {
        public override async Task<LabReply> Call(LabRequest request, ServerCallContext context)
        {
            if (state.DelayMs > 0)
            {
                await Task.Delay(state.DelayMs, context.CancellationToken);
            }

            return new LabReply { Backend = state.Name };
        }

        public override Task<LabReply> Configure(ConfigureRequest request, ServerCallContext context)
        {
            state.DelayMs = request.DelayMs;
            return Task.FromResult(new LabReply { Backend = state.Name });
        }
    }
}

/// <summary>A backend started as a child process of the lab.</summary>
internal sealed class BackendProcess : IAsyncDisposable
{
    private readonly Process _process;

    private BackendProcess(Process process, string name, Uri address)
    {
        _process = process;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    public static async Task<BackendProcess> StartAsync(string name, int delayMs)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Backend).Assembly.Location);
        }

        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(name);
        info.ArgumentList.Add(delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = Process.Start(info) ?? throw new InvalidOperationException("The backend process did not start.");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !Uri.TryCreate(line.Trim(), UriKind.Absolute, out var address))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Backend {name} did not print its address (got '{line}').");
        }

        return new BackendProcess(process, name, address);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
