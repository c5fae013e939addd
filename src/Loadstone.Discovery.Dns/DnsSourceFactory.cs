using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Discovery.Dns;

/// <summary>Creates the container's DNS sources and disposes them with it, so no lookup outlives the application.</summary>
internal sealed class DnsSourceFactory(IServiceProvider services) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<DnsEndpointSource> _created = [];
    private bool _disposed;

    /// <summary>The sources created so far (tests reach them through this).</summary>
    internal IReadOnlyList<DnsEndpointSource> Created
    {
        get
        {
            lock (_gate)
            {
                return [.. _created];
            }
        }
    }

    public DnsEndpointSource Create(string serviceName, DnsDiscoveryOptions options)
    {
        var source = new DnsEndpointSource(serviceName, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>(), null);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _created.Add(source);
        }

        return source;
    }

    public async ValueTask DisposeAsync()
    {
        DnsEndpointSource[] created;
        lock (_gate)
        {
            _disposed = true;
            created = [.. _created];
            _created.Clear();
        }

        foreach (var source in created)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }
}
