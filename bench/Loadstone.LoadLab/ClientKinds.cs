namespace Loadstone.LoadLab;

/// <summary>One way of sending the lab's requests: a direct client, Loadstone with a strategy, or a proxy.</summary>
internal sealed class ClientKind : IAsyncDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly List<IAsyncDisposable> _ownedAsync = [];

    private ClientKind(string name, HttpClient client, Uri[] targets, ServicePool? pool)
    {
        Name = name;
        Client = client;
        Targets = targets;
        Pool = pool;
        _owned.Add(client);
    }

    public string Name { get; }

    public HttpClient Client { get; }

    /// <summary>The URIs requests go to; more than one only for the direct client, which rotates over them.</summary>
    public Uri[] Targets { get; }

    /// <summary>The Loadstone pool, for Loadstone kinds.</summary>
    public ServicePool? Pool { get; }

    private int _next;

    /// <summary>Sends GET / and reads the body; true on a 2xx answer.</summary>
    public async ValueTask<bool> SendAsync(CancellationToken cancellationToken)
    {
        var target = Targets.Length == 1 ? Targets[0] : Targets[(int)((uint)Interlocked.Increment(ref _next) % (uint)Targets.Length)];
        using var response = await Client.GetAsync(target, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    /// <summary>Sends GET / and returns the body (null on a non-2xx answer).</summary>
    public async ValueTask<string?> SendReadAsync(CancellationToken cancellationToken)
    {
        var target = Targets.Length == 1 ? Targets[0] : Targets[(int)((uint)Interlocked.Increment(ref _next) % (uint)Targets.Length)];
        using var response = await Client.GetAsync(target, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>The physical limit: hand-rolled round robin over raw URIs with one SocketsHttpHandler, no library.</summary>
    public static ClientKind Direct(IReadOnlyList<Backend> backends) =>
        new("direct", NewClient(NewHandler()), backends.Select(b => b.Address).ToArray(), null);

    /// <summary>A central proxy.</summary>
    public static ClientKind Proxy(Peer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var kind = new ClientKind(peer.Name, NewClient(NewHandler()), [peer.Address], null);
        kind._ownedAsync.Add(peer);
        return kind;
    }

    /// <summary>Loadstone with a strategy, through <see cref="LoadBalancingHandler"/> and one SocketsHttpHandler.</summary>
    /// <param name="name">The kind's name in tables.</param>
    /// <param name="configure">Further options (retries, health, zones).</param>
    public static ClientKind Loadstone(string name, string strategy, IReadOnlyList<Backend> backends, Action<LoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        var options = new LoadBalancingOptions { Strategy = strategy };
        foreach (var b in backends)
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(b.Address, zone: b.Zone));
        }

        configure?.Invoke(options);
        var pool = new ServicePool("backend", options);
        var handler = new LoadBalancingHandler(pool, NewHandler());
        var kind = new ClientKind(name, NewClient(handler), [new Uri("http://backend/")], pool);
        kind._owned.Add(pool);
        return kind;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }

        foreach (var d in _ownedAsync)
        {
            await d.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static SocketsHttpHandler NewHandler() => new()
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    private static HttpClient NewClient(HttpMessageHandler handler) => new(handler) { Timeout = TimeSpan.FromSeconds(10) };
}
