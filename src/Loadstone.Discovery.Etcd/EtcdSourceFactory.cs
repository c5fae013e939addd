using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loadstone.Discovery.Etcd;

/// <summary>Creates the container's etcd sources and disposes them with it, so no watch outlives the application.</summary>
internal sealed class EtcdSourceFactory(IServiceProvider services) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<EtcdEndpointSource> _created = [];
    private bool _disposed;

    /// <summary>The sources created so far (tests reach them through this).</summary>
    internal IReadOnlyList<EtcdEndpointSource> Created
    {
        get
        {
            lock (_gate)
            {
                return [.. _created];
            }
        }
    }

    public EtcdEndpointSource Create(string serviceName, EtcdDiscoveryOptions options)
    {
        var source = new EtcdEndpointSource(serviceName, options, services.GetService<ILoggerFactory>(), services.GetService<TimeProvider>());
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _created.Add(source);
        }

        return source;
    }

    public async ValueTask DisposeAsync()
    {
        EtcdEndpointSource[] created;
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
