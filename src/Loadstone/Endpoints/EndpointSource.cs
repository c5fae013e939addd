using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>Ready-made <see cref="IEndpointSource"/> implementations.</summary>
public static class EndpointSource
{
    /// <summary>A source whose endpoints never change.</summary>
    /// <param name="endpoints">The endpoints.</param>
    public static IEndpointSource Static(params IEnumerable<LoadBalancedEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new StaticEndpointSource(endpoints.ToArray());
    }

    /// <summary>
    /// A source that calls <paramref name="resolve"/> at start and then every <paramref name="refreshInterval"/>
    /// (polling, as a DNS or registry lookup would).
    /// </summary>
    /// <param name="name">A short description for logs.</param>
    /// <param name="resolve">Returns the current endpoints. An exception or a bad result keeps the last good set.</param>
    /// <param name="refreshInterval">How often to call again; at least 100 ms.</param>
    /// <param name="timeProvider">The clock for the interval; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public static IEndpointSource FromDelegate(
        string name,
        Func<CancellationToken, ValueTask<IEnumerable<LoadBalancedEndpoint>>> resolve,
        TimeSpan refreshInterval,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentOutOfRangeException.ThrowIfLessThan(refreshInterval, TimeSpan.FromMilliseconds(100));
        return new PollingEndpointSource(name, resolve, refreshInterval, timeProvider ?? TimeProvider.System);
    }

    private sealed class StaticEndpointSource(LoadBalancedEndpoint[] endpoints) : IEndpointSource
    {
        public string Name => "static";

        public ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) => new(endpoints);

        public IChangeToken? GetChangeToken() => null;
    }

    private sealed class PollingEndpointSource(
        string name,
        Func<CancellationToken, ValueTask<IEnumerable<LoadBalancedEndpoint>>> resolve,
        TimeSpan interval,
        TimeProvider timeProvider) : IEndpointSource
    {
        public string Name => name;

        // A null answer goes to the pool as null, which rejects it by name ("returned null") and keeps the last good set.
        public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) =>
            (await resolve(cancellationToken).ConfigureAwait(false))?.ToArray()!;

        public IChangeToken GetChangeToken() =>
            new CancellationChangeToken(new CancellationTokenSource(interval, timeProvider).Token);
    }
}
