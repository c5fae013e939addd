using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// The pools of an application, one per logical service, found by service name. Owned by the container (or by
/// the caller without one), so pool state outlives handler rotation and is shared by every client of a service.
/// </summary>
public sealed class ServicePoolRegistry : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Func<string, ServicePool>? _create;
    private readonly IConfiguration? _configuration;
    private readonly IReadOnlyCollection<string> _registeredNames;
    private readonly IDisposable? _reloadSubscription;
    private readonly IDisposable? _optionsSubscription;
    private volatile Dictionary<string, Entry> _entries;
    private bool _disposed;
    private int _version;

    /// <summary>Creates a registry over pools built without a container.</summary>
    /// <param name="pools">The pools; their service names must be distinct. The registry disposes them.</param>
    public ServicePoolRegistry(params IEnumerable<ServicePool> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        _registeredNames = [];
        var entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        foreach (var pool in pools)
        {
            if (!entries.TryAdd(pool.ServiceName, new Entry(pool)))
            {
                throw new ArgumentException($"Two pools are named '{pool.ServiceName}'.", nameof(pools));
            }
        }

        _entries = entries;
    }

    internal ServicePoolRegistry(
        IEnumerable<LoadBalancedServiceRegistration> registrations,
        IOptionsMonitor<LoadBalancingOptions> options,
        ServicePoolFactory pools,
        IConfiguration? configuration)
    {
        _configuration = configuration;
        _registeredNames = registrations.Select(r => r.ServiceName).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        _create = pools.Create;
        _entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        RefreshNames();
        if (configuration is not null)
        {
            // New services in reloaded configuration become routable; reloaded options reach pools through the monitor.
            _reloadSubscription = ChangeToken.OnChange(configuration.GetReloadToken, RefreshNames);
        }

        _optionsSubscription = options.OnChange(OnOptionsChanged);
    }

    /// <summary>Changes whenever the set of service names changes, so handlers know to drop cached routes.</summary>
    internal int Version => Volatile.Read(ref _version);

    /// <summary>The names of every service this registry can route, configured or created.</summary>
    public IReadOnlyCollection<string> ServiceNames => _entries.Keys;

    /// <summary>The pools created so far (pools are created on first use).</summary>
    public IEnumerable<ServicePool> Pools => _entries.Values.Where(e => e.IsCreated).Select(e => e.Pool);

    /// <summary>Returns the pool of a service, creating it on first use.</summary>
    /// <param name="serviceName">The logical service name; case-insensitive.</param>
    /// <exception cref="KeyNotFoundException">No such service is configured.</exception>
    /// <exception cref="OptionsValidationException">The service's options are not valid.</exception>
    public ServicePool GetPool(string serviceName) =>
        TryGetPool(serviceName, out var pool)
            ? pool
            : throw new KeyNotFoundException($"No load-balanced service named '{serviceName}' is configured; known services: {string.Join(", ", ServiceNames)}.");

    /// <summary>Returns the pool of a service if the service is configured, creating it on first use.</summary>
    /// <param name="serviceName">The logical service name; case-insensitive.</param>
    /// <param name="pool">The pool, when found.</param>
    /// <exception cref="OptionsValidationException">The service's options are not valid.</exception>
    public bool TryGetPool(string serviceName, [NotNullWhen(true)] out ServicePool? pool) =>
        TryGetPool(serviceName.AsSpan(), out pool);

    internal bool TryGetPool(ReadOnlySpan<char> serviceName, [NotNullWhen(true)] out ServicePool? pool)
    {
        pool = TryGetService(serviceName, out var service) ? service.Pool : null;
        return pool is not null;
    }

    /// <summary>The service's entry (pool and routing rules), creating its pool on first use.</summary>
    internal bool TryGetService(ReadOnlySpan<char> serviceName, [NotNullWhen(true)] out ServiceEntry? service)
    {
        if (_entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(serviceName, out var entry))
        {
            service = entry.Service;
            return true;
        }

        service = null;
        return false;
    }

    /// <summary>Disposes every pool.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _reloadSubscription?.Dispose();
        _optionsSubscription?.Dispose();
        foreach (var entry in _entries.Values.Where(e => e.IsCreated))
        {
            entry.Pool.Dispose();
        }
    }

    /// <summary>The services a container knows: registered in code, or configured under either schema.</summary>
    internal static HashSet<string> KnownServiceNames(IEnumerable<string> registered, IConfiguration? configuration)
    {
        var names = new HashSet<string>(registered, StringComparer.OrdinalIgnoreCase);
        if (configuration is not null)
        {
            foreach (var section in configuration.GetSection(LoadBalancingConfiguration.ServicesSection).GetChildren())
            {
                names.Add(section.Key);
            }

            foreach (var section in configuration.GetSection(ServiceDiscoveryConfiguration.ServicesSection).GetChildren())
            {
                names.Add(section.Key);
            }
        }

        return names;
    }

    private void RefreshNames()
    {
        var names = KnownServiceNames(_registeredNames, _configuration);

        lock (_gate)
        {
            var entries = new Dictionary<string, Entry>(_entries, StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                if (!entries.ContainsKey(name))
                {
                    entries.Add(name, new Entry(name, _create!));
                }
            }

            if (entries.Count != _entries.Count)
            {
                _entries = entries;
                Interlocked.Increment(ref _version);
            }
        }
    }

    private void OnOptionsChanged(LoadBalancingOptions options, string? name)
    {
        if (name is not null && _entries.TryGetValue(name, out var entry) && entry.IsCreated
            && entry.Pool.TryApplyOptions(options))
        {
            entry.Service.RebuildRouting();
        }
    }

    // PublicationOnly: a pool whose options failed validation is retried on next use (after a configuration fix)
    // rather than failing forever. A pool that loses a creation race was never used, so it holds nothing to dispose.
    private sealed class Entry
    {
        private readonly Lazy<ServiceEntry> _service;

        public Entry(ServicePool pool) => _service = new Lazy<ServiceEntry>(new ServiceEntry(pool));

        public Entry(string name, Func<string, ServicePool> create) =>
            _service = new Lazy<ServiceEntry>(() => new ServiceEntry(create(name)), LazyThreadSafetyMode.PublicationOnly);

        public bool IsCreated => _service.IsValueCreated;

        public ServiceEntry Service => _service.Value;

        public ServicePool Pool => _service.Value.Pool;
    }
}

/// <summary>Marks a service registered by name in code, so the registry routes it even without configuration.</summary>
internal sealed record LoadBalancedServiceRegistration(string ServiceName);
