using System.Collections.Concurrent;
using System.Diagnostics;
using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// A client app: an HttpClient balanced over the endpoints under an etcd prefix, sending bounded load and recording
/// every request's outcome and every attempt's target (a handler below the balancer sees each attempt).
/// </summary>
internal sealed class LoadClient : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly HttpClient _client;
    private readonly ServicePool _pool;
    private readonly AttemptRecorder _attempts = new();
    private readonly ConcurrentDictionary<string, long> _leftAt = new();
    private readonly ITimer _membership;

    public LoadClient(string etcd, string prefix, bool retries)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedService("catalog", o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                o.Retries.Enabled = retries;
                o.DeregistrationDelay = TimeSpan.FromSeconds(10);
            })
            .AddEtcdSource(prefix, o =>
            {
                o.Endpoints.Add(etcd);
                o.RetryDelay = TimeSpan.FromMilliseconds(100);
                o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            });
        services.AddHttpClient("catalog", c => c.BaseAddress = new Uri("http://catalog"))
            .AddLoadBalancing()
            .AddHttpMessageHandler(() => _attempts);
        _provider = services.BuildServiceProvider();
        _client = _provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        _pool = _provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        _ = _pool.InitializeAsync();

        // Notes when each endpoint stops being a member (every 10 ms), to time departures.
        _membership = TimeProvider.System.CreateTimer(_ => NoteDepartures(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(10));
    }

    public long FailedAttempts => _attempts.Failed;

    /// <summary>The etcd source's staleness: zero while its watch is live.</summary>
    public TimeSpan? Staleness => _provider.GetRequiredService<EtcdSourceFactory>().Created.Single().Staleness;

    /// <summary>The addresses the pool routes to (draining endpoints excluded), e.g. <c>http://127.0.0.1:40111</c>.</summary>
    public string[] Members() =>
        [.. _pool.Endpoints.Where(e => e.Health is not (EndpointHealth.Draining or EndpointHealth.Unused)).Select(e => e.Endpoint.Id).Order()];

    /// <summary>How long after <paramref name="since"/> the last attempt to an address was sent, or null if none was sent since.</summary>
    public TimeSpan? LastAttemptAfter(string address, long since)
    {
        var last = _attempts.Log.Where(a => a.Target == address && a.At > since).Select(a => a.At).DefaultIfEmpty(0).Max();
        return last == 0 ? null : Stopwatch.GetElapsedTime(since, last);
    }

    /// <summary>How long after <paramref name="since"/> the endpoint stopped being a member.</summary>
    public TimeSpan LeftAfter(string address, long since) =>
        _leftAt.TryGetValue(address, out var at) ? Stopwatch.GetElapsedTime(since, at) : TimeSpan.MaxValue;

    public Task<LoadResult> RunAsync(TimeSpan duration, int maxRequests, TimeSpan? pause = null)
    {
        var watch = Stopwatch.StartNew();
        return RunUntilAsync(() => watch.Elapsed >= duration, duration + TimeSpan.FromSeconds(5), maxRequests, TimeSpan.Zero, pause);
    }

    /// <summary>Four workers send requests until <paramref name="done"/> has held for <paramref name="after"/>, within a time and request bound.</summary>
    public async Task<LoadResult> RunUntilAsync(Func<bool> done, TimeSpan limit, int maxRequests, TimeSpan after, TimeSpan? pause = null)
    {
        var result = new LoadResult();
        var watch = Stopwatch.StartNew();
        var doneSince = (TimeSpan?)null;
        var sent = 0;
        async Task Worker()
        {
            while (watch.Elapsed < limit && Interlocked.Increment(ref sent) <= maxRequests)
            {
                if (done())
                {
                    doneSince ??= watch.Elapsed;
                    if (watch.Elapsed - doneSince >= after)
                    {
                        return;
                    }
                }

                try
                {
                    using var response = await _client.GetAsync("/slow?ms=10");
                    if (response.IsSuccessStatusCode)
                    {
                        result.Succeeded(await response.Content.ReadAsStringAsync());
                    }
                    else
                    {
                        result.Fail($"status {(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    result.Fail(ex.Message);
                }

                if (pause is { } p)
                {
                    await Task.Delay(p);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)));
        result.Duration = watch.Elapsed;
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _membership.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private void NoteDepartures()
    {
        var members = Members();
        foreach (var attempted in _attempts.Targets)
        {
            if (!members.Contains(attempted))
            {
                _leftAt.TryAdd(attempted, Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>Below the balancer: sees each attempt's rewritten URI, when it was sent and whether it failed.</summary>
    internal sealed class AttemptRecorder : DelegatingHandler
    {
        private long _failed;

        public ConcurrentQueue<(string Target, long At, bool Failed)> Log { get; } = new();

        public ConcurrentDictionary<string, byte> TargetSet { get; } = new();

        public IEnumerable<string> Targets => TargetSet.Keys;

        public long Failed => Interlocked.Read(ref _failed);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.RequestUri!.GetLeftPart(UriPartial.Authority);
            TargetSet.TryAdd(target, 0);
            var at = Stopwatch.GetTimestamp();
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                Log.Enqueue((target, at, false));
                return response;
            }
            catch
            {
                Interlocked.Increment(ref _failed);
                Log.Enqueue((target, at, true));
                throw;
            }
        }
    }
}

/// <summary>What a run of load produced: answers by instance, failures, and the attempts made.</summary>
internal sealed class LoadResult
{
    private readonly ConcurrentDictionary<string, int> _byInstance = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<(string Instance, long At)> _answers = new();
    private int _total;

    public int Total => _total;

    /// <summary>How long the load ran.</summary>
    public TimeSpan Duration { get; set; }

    public int Failed => _failures.Count;

    public IEnumerable<string> Failures => _failures;

    public int By(string instance) => _byInstance.GetValueOrDefault(instance);

    /// <summary>Answers from an instance that were received after a moment.</summary>
    public int ByAfter(string instance, long since) => _answers.Count(a => a.Instance == instance && a.At > since);

    public void Succeeded(string instance)
    {
        Interlocked.Increment(ref _total);
        _byInstance.AddOrUpdate(instance, 1, (_, n) => n + 1);
        _answers.Enqueue((instance, Stopwatch.GetTimestamp()));
    }

    public void Fail(string why)
    {
        Interlocked.Increment(ref _total);
        _failures.Enqueue(why);
    }
}
