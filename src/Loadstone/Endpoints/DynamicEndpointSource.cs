using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// A source that the application updates by calling <see cref="Update"/>: the push-style extension point for a
/// registry watch, a scaling group or a test.
/// </summary>
public sealed class DynamicEndpointSource : IEndpointSource
{
    private readonly Lock _gate = new();
    private IReadOnlyList<LoadBalancedEndpoint> _endpoints;
    private CancellationTokenSource _changed = new();

    /// <summary>Creates the source.</summary>
    /// <param name="name">A short description for logs.</param>
    /// <param name="initial">The endpoints to start with; may be empty if <see cref="Update"/> will follow.</param>
    public DynamicEndpointSource(string name, IEnumerable<LoadBalancedEndpoint>? initial = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _endpoints = initial?.ToArray() ?? [];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// Whether an empty update is accepted (the service really has no instances) instead of rejected as a fault.
    /// The default is <see langword="false"/>.
    /// </summary>
    public bool AllowsEmpty { get; init; }

    /// <summary>The endpoints most recently given.</summary>
    public IReadOnlyList<LoadBalancedEndpoint> Current => Volatile.Read(ref _endpoints);

    /// <summary>Replaces the endpoints and notifies the pools that use this source.</summary>
    /// <param name="endpoints">
    /// The new set. An empty set (unless <see cref="AllowsEmpty"/>), one with a null entry or one with duplicates is
    /// rejected by the pool, which logs why (<c>SourceUpdateRejected</c>) and keeps the last good set.
    /// </param>
    public void Update(IEnumerable<LoadBalancedEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        CancellationTokenSource previous;
        lock (_gate)
        {
            Volatile.Write(ref _endpoints, endpoints.ToArray());
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) => new(Current);

    /// <inheritdoc />
    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }
}
