using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace Loadstone.Benchmarks;

/// <summary>
/// <see cref="HttpClient.SendAsync(HttpRequestMessage, CancellationToken)"/> of a new request through three clients
/// built the same way by <see cref="IHttpClientFactory"/> (logging handlers removed) over the same stub transport: a bare
/// client sent straight to an endpoint's address, a Loadstone client (<c>http://catalog</c>, PowerOfTwoChoices), and a
/// Microsoft.Extensions.ServiceDiscovery client (<c>http://catalog</c>, its round robin over the same endpoints from
/// <c>Services:catalog:http</c>). The stub answers synchronously (<see cref="Inner"/> = Sync) or after yielding once, as
/// every real transport completes (Async): then each async method above it boxes its state machine. Compare each
/// client's allocation with Bare's in the same run.
/// </summary>
[MemoryDiagnoser]
public class ClientComparisonBenchmarks
{
    private const string PathAndQuery = "/items?page=2";

    private ServiceProvider _services = null!;
    private HttpClient _bare = null!;
    private HttpClient _loadstone = null!;
    private HttpClient _serviceDiscovery = null!;
    private Uri _directUri = null!;
    private Uri _logicalUri = null!;

    /// <summary>How the stub transport answers: Sync (a completed task) or Async (after a yield).</summary>
    [Params("Sync", "Async")]
    public string Inner { get; set; } = "Sync";

    /// <summary>Endpoints of the service.</summary>
    [Params(3, 100)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var addresses = Enumerable.Range(0, Endpoints).Select(i => $"http://10.0.{i / 250}.{(i % 250) + 1}:8080").ToArray();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(addresses.Select((a, i) => KeyValuePair.Create($"Services:catalog:http:{i}", (string?)a)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.ConfigureHttpClientDefaults(b => b.RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => Inner == "Sync" ? new StubHandler() : new YieldingStubHandler()));
        services.AddHttpClient("bare");
        services.AddLoadBalancedHttpClient("catalog", o => o.Strategy = LoadBalancingStrategies.PowerOfTwoChoices);
        services.AddServiceDiscovery();
        services.AddHttpClient("discovery").AddServiceDiscovery();
        _services = services.BuildServiceProvider();

        var factory = _services.GetRequiredService<IHttpClientFactory>();
        _bare = factory.CreateClient("bare");
        _loadstone = factory.CreateClient("catalog");
        _serviceDiscovery = factory.CreateClient("discovery");
        _directUri = new Uri(addresses[0] + PathAndQuery);
        _logicalUri = new Uri("http://catalog" + PathAndQuery);

        // Warm every path (route caches, the resolver's first resolution).
        for (var i = 0; i < 3; i++)
        {
            Bare().GetAwaiter().GetResult();
            Loadstone().GetAwaiter().GetResult();
            ServiceDiscovery().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public Task<HttpResponseMessage> Bare() => _bare.SendAsync(new HttpRequestMessage(HttpMethod.Get, _directUri));

    [Benchmark]
    public Task<HttpResponseMessage> Loadstone() => _loadstone.SendAsync(new HttpRequestMessage(HttpMethod.Get, _logicalUri));

    [Benchmark]
    public Task<HttpResponseMessage> ServiceDiscovery() => _serviceDiscovery.SendAsync(new HttpRequestMessage(HttpMethod.Get, _logicalUri));

    /// <summary>Answers with a shared, content-less response, synchronously.</summary>
    private sealed class StubHandler : HttpMessageHandler
    {
        private readonly HttpResponseMessage _response = new(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent([]) };

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => _response;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(_response);
    }

    /// <summary>Answers after yielding once, as a real transport completes asynchronously.</summary>
    private sealed class YieldingStubHandler : HttpMessageHandler
    {
        private readonly HttpResponseMessage _response = new(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent([]) };

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => _response;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return _response;
        }
    }
}
