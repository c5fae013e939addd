using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// <see cref="IOptionsMonitor{TOptions}"/> of <see cref="LoadBalancingOptions"/>: the options system's own monitor hears only
/// of change-token sources registered per name, and services appear in configuration by name at run time. This one
/// also listens to the configuration's reload token and, on a reload, rebuilds every service's options it has handed
/// out and tells its subscribers (the pools among them). Options that fail validation are logged and not handed out; the
/// subscribers keep what they have, and <see cref="Get"/> keeps returning the last good options.
/// </summary>
internal sealed partial class LoadBalancingOptionsMonitor : IOptionsMonitor<LoadBalancingOptions>, IDisposable
{
    private readonly IOptionsFactory<LoadBalancingOptions> _factory;
    private readonly IOptionsMonitorCache<LoadBalancingOptions> _cache;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _names = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _gate = new();
    private Action<LoadBalancingOptions, string?>[] _listeners = [];

    public LoadBalancingOptionsMonitor(
        IOptionsFactory<LoadBalancingOptions> factory,
        IOptionsMonitorCache<LoadBalancingOptions> cache,
        IEnumerable<IOptionsChangeTokenSource<LoadBalancingOptions>> sources,
        IConfiguration? configuration = null,
        ILoggerFactory? loggerFactory = null)
    {
        _factory = factory;
        _cache = cache;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Loadstone.ServicePoolRegistry") ?? NullLogger.Instance;
        foreach (var source in sources)
        {
            _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, () => Reload(source.Name ?? Options.DefaultName)));
        }

        if (configuration is not null)
        {
            _subscriptions.Add(ChangeToken.OnChange(configuration.GetReloadToken, ReloadAll));
        }
    }

    public LoadBalancingOptions CurrentValue => Get(Options.DefaultName);

    public LoadBalancingOptions Get(string? name)
    {
        name ??= Options.DefaultName;
        _names.TryAdd(name, 0);
        return _cache.GetOrAdd(name, () => _factory.Create(name));
    }

    public IDisposable? OnChange(Action<LoadBalancingOptions, string?> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Subscription(this, listener);
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void ReloadAll()
    {
        foreach (var name in _names.Keys)
        {
            Reload(name);
        }
    }

    // The new options are built before the cached ones are replaced: a rejected reload leaves Get returning the last good.
    private void Reload(string name)
    {
        LoadBalancingOptions options;
        try
        {
            options = _factory.Create(name);
            _cache.TryRemove(name);
            _cache.TryAdd(name, options);
        }
        catch (OptionsValidationException ex)
        {
            Log.ReloadRejected(_logger, name, string.Join(" ", ex.Failures));
            return;
        }
        catch (Exception ex)
        {
            // Code that configures the service threw while the reload rebuilt its options: keep the current ones.
            Log.ReloadFailed(_logger, name, ex);
            return;
        }

        foreach (var listener in Volatile.Read(ref _listeners))
        {
            // One subscriber's failure must not keep the others (or the other services) from their reload.
            try
            {
                listener(options, name);
            }
            catch (Exception ex)
            {
                Log.ReloadFailed(_logger, name, ex);
            }
        }
    }

    private void Remove(Action<LoadBalancingOptions, string?> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != listener)];
        }
    }

    private sealed class Subscription(LoadBalancingOptionsMonitor owner, Action<LoadBalancingOptions, string?> listener) : IDisposable
    {
        public void Dispose() => owner.Remove(listener);
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Error, "Reloaded configuration of service '{Service}' was rejected; the current options are kept: {Problems}", EventName = "ReloadRejected")]
        public static partial void ReloadRejected(ILogger logger, string service, string problems);

        [LoggerMessage(11, LogLevel.Error, "Applying reloaded configuration of service '{Service}' failed; the service keeps its current options.", EventName = "ReloadFailed")]
        public static partial void ReloadFailed(ILogger logger, string service, Exception exception);
    }
}
