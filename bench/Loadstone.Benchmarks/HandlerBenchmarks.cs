using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// What <see cref="LoadBalancingHandler"/> adds to a request: an <see cref="HttpMessageInvoker"/> sends through the
/// handler to a stub that answers at once with a cached response, compared with the same invoker straight to the
/// stub. The request objects are reused (the handler restores the request URI after each call), so the allocation
/// difference is the handler's own. <see cref="UriRewrite"/> isolates the rewritten URI, the one allocation the
/// handler cannot avoid.
/// </summary>
[MemoryDiagnoser]
public class HandlerBenchmarks
{
    private const string EndpointAddress = "http://10.0.0.1:8080";
    private const string PathAndQuery = "/items?page=2";

    private ServicePool _pool = null!;
    private HttpMessageInvoker _direct = null!;
    private HttpMessageInvoker _balanced = null!;
    private HttpRequestMessage _directRequest = null!;
    private HttpRequestMessage _balancedRequest = null!;
    private HttpRequestMessage _passThroughRequest = null!;
    private HttpMessageInvoker _directYielding = null!;
    private HttpMessageInvoker _balancedYielding = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pool = Pools.Create(LoadBalancingStrategies.PowerOfTwoChoices, 3);
        _direct = new HttpMessageInvoker(new StubHandler(), disposeHandler: true);
        _balanced = new HttpMessageInvoker(new LoadBalancingHandler(_pool, new StubHandler()), disposeHandler: true);
        _directRequest = new HttpRequestMessage(HttpMethod.Get, EndpointAddress + PathAndQuery);
        _balancedRequest = new HttpRequestMessage(HttpMethod.Get, "http://catalog" + PathAndQuery);
        _passThroughRequest = new HttpRequestMessage(HttpMethod.Get, "http://elsewhere.example" + PathAndQuery);
        _directYielding = new HttpMessageInvoker(new YieldingStubHandler(), disposeHandler: true);
        _balancedYielding = new HttpMessageInvoker(new LoadBalancingHandler(_pool, new YieldingStubHandler()), disposeHandler: true);

        // Warm the handler's route cache, as any request but the first finds it.
        _balanced.Send(_balancedRequest, CancellationToken.None);
        _balanced.Send(_passThroughRequest, CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _direct.Dispose();
        _balanced.Dispose();
        _directYielding.Dispose();
        _balancedYielding.Dispose();
        _pool.Dispose();
        _directRequest.Dispose();
        _balancedRequest.Dispose();
        _passThroughRequest.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Async")]
    public Task<HttpResponseMessage> DirectAsync() => _direct.SendAsync(_directRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("Async")]
    public Task<HttpResponseMessage> BalancedAsync() => _balanced.SendAsync(_balancedRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("Async")]
    public Task<HttpResponseMessage> PassThroughAsync() => _balanced.SendAsync(_passThroughRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("Sync")]
    public HttpResponseMessage DirectSync() => _direct.Send(_directRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("Sync")]
    public HttpResponseMessage BalancedSync() => _balanced.Send(_balancedRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("AsyncInner")]
    public Task<HttpResponseMessage> DirectYieldingAsync() => _directYielding.SendAsync(_directRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("AsyncInner")]
    public Task<HttpResponseMessage> BalancedYieldingAsync() => _balancedYielding.SendAsync(_balancedRequest, CancellationToken.None);

    [Benchmark]
    [BenchmarkCategory("Uri")]
    public Uri UriRewrite() => new(string.Concat(EndpointAddress, PathAndQuery.AsSpan()));

    /// <summary>
    /// Answers every request with the same response after yielding once, as a real transport completes
    /// asynchronously: async methods above it then box their state machines.
    /// </summary>
    private sealed class YieldingStubHandler : HttpMessageHandler
    {
        private readonly HttpResponseMessage _response = new(System.Net.HttpStatusCode.OK);

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => _response;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return _response;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Answers every request with the same response, synchronously.</summary>
    private sealed class StubHandler : HttpMessageHandler
    {
        private readonly HttpResponseMessage _response = new(System.Net.HttpStatusCode.OK);
        private readonly Task<HttpResponseMessage> _completed;

        public StubHandler() => _completed = Task.FromResult(_response);

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => _response;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => _completed;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
