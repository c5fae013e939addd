using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Loadstone.Grpc;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Benchmarks;

/// <summary>
/// The per-call cost of balancing a gRPC unary call: Grpc.Net.Client's own <c>pick_first</c> (one address, the baseline)
/// and <c>round_robin</c>, Loadstone's <c>loadstone</c> policy (RoundRobin and PeakEwma: a pick through the pool, a lease
/// per call, the call tracking handler), and Loadstone's HttpClient route (a <see cref="LoadBalancingHandler"/> under the
/// channel). Every channel runs the whole gRPC client (call, serialisation, its balancer's pick) over the same stub:
/// a handler above the <see cref="SocketsHttpHandler"/> answers each call at once with a canned reply and OK trailers,
/// so no bytes cross the network; the subchannels are connected to local listeners that accept and stay silent, as
/// gRPC's connectivity tracking needs real connections. Three endpoints.
/// </summary>
[MemoryDiagnoser]
public class GrpcPolicyBenchmarks
{
    private static readonly Method<byte[], byte[]> Unary = new(MethodType.Unary, "bench.Echo", "Unary",
        Marshallers.Create(static b => b, static b => b), Marshallers.Create(static b => b, static b => b));

    private static readonly byte[] Payload = [1, 2, 3, 4];

    private readonly List<TcpListener> _listeners = [];
    private readonly List<Socket> _accepted = [];
    private readonly List<IDisposable> _owned = [];
    private CallInvoker _pickFirst = null!;
    private CallInvoker _roundRobin = null!;
    private CallInvoker _loadstoneRoundRobin = null!;
    private CallInvoker _loadstonePeakEwma = null!;
    private CallInvoker _loadstoneHttpClientRoute = null!;

    [GlobalSetup]
    public void Setup()
    {
        var addresses = new List<IPEndPoint>();
        for (var i = 0; i < 3; i++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            _listeners.Add(listener);
            addresses.Add((IPEndPoint)listener.LocalEndpoint);
            _ = AcceptAsync(listener);
        }

        _pickFirst = Own(GrpcChannel.ForAddress($"http://127.0.0.1:{addresses[0].Port}", new GrpcChannelOptions { HttpHandler = Stub() })).CreateCallInvoker();

        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses.Select(a => new BalancerAddress("127.0.0.1", a.Port)).ToArray()));
        var provider = services.BuildServiceProvider();
        _owned.Add(provider);
        _roundRobin = Own(GrpcChannel.ForAddress("static:///bench", new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Insecure,
            ServiceProvider = provider,
            HttpHandler = Stub(),
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } },
        })).CreateCallInvoker();

        _loadstoneRoundRobin = Own(LoadBalancedGrpcChannel.Create(Pool(LoadBalancingStrategies.RoundRobin, addresses), new GrpcChannelOptions { HttpHandler = Stub() })).CreateCallInvoker();
        _loadstonePeakEwma = Own(LoadBalancedGrpcChannel.Create(Pool(LoadBalancingStrategies.PeakEwma, addresses), new GrpcChannelOptions { HttpHandler = Stub() })).CreateCallInvoker();
        _loadstoneHttpClientRoute = Own(GrpcChannel.ForAddress("http://bench", new GrpcChannelOptions
        {
            HttpHandler = new LoadBalancingHandler(Pool(LoadBalancingStrategies.RoundRobin, addresses), Stub()),
        })).CreateCallInvoker();

        // Connect every subchannel (a call waits for a ready one) and warm every path.
        foreach (var invoker in new[] { _pickFirst, _roundRobin, _loadstoneRoundRobin, _loadstonePeakEwma, _loadstoneHttpClientRoute })
        {
            for (var i = 0; i < 20; i++)
            {
                Call(invoker).GetAwaiter().GetResult();
                Thread.Sleep(i < 3 ? 50 : 0);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        foreach (var socket in _accepted)
        {
            socket.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    public Task<byte[]> GrpcPickFirst() => Call(_pickFirst);

    [Benchmark]
    public Task<byte[]> GrpcRoundRobin() => Call(_roundRobin);

    [Benchmark]
    public Task<byte[]> LoadstonePolicyRoundRobin() => Call(_loadstoneRoundRobin);

    [Benchmark]
    public Task<byte[]> LoadstonePolicyPeakEwma() => Call(_loadstonePeakEwma);

    [Benchmark]
    public Task<byte[]> LoadstoneHttpClientRoute() => Call(_loadstoneHttpClientRoute);

    private static Task<byte[]> Call(CallInvoker invoker) => invoker.AsyncUnaryCall(Unary, null, default, Payload).ResponseAsync;

    private ServicePool Pool(string strategy, List<IPEndPoint> addresses)
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        foreach (var address in addresses)
        {
            options.Endpoints.Add($"http://127.0.0.1:{address.Port}");
        }

        var pool = new ServicePool("bench", options);
        _owned.Add(pool);
        return pool;
    }

    private GrpcChannel Own(GrpcChannel channel)
    {
        _owned.Add(channel);
        return channel;
    }

    private static HttpMessageHandler Stub() => new CannedReplyHandler(new SocketsHttpHandler { EnableMultipleHttp2Connections = true });

    private async Task AcceptAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Answers every gRPC call at once with the same reply message and OK trailers; sends nothing.</summary>
    private sealed class CannedReplyHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private static readonly byte[] Frame = [0, 0, 0, 0, 4, 1, 2, 3, 4];
        private static readonly MediaTypeHeaderValue GrpcContentType = new("application/grpc");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(Frame);
            content.Headers.ContentType = GrpcContentType;
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Version = HttpVersion.Version20, Content = content, RequestMessage = request };
            response.TrailingHeaders.TryAddWithoutValidation("grpc-status", "0");
            return Task.FromResult(response);
        }
    }
}
