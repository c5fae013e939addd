using System.Collections.Concurrent;
using Loadstone.Scaling;

namespace Loadstone.Dashboard;

/// <summary>
/// The scaling group's launch template: each launch starts a <see cref="ScenarioBackend"/> (an in-process Kestrel
/// server on a free 127.0.0.1 port) named <c>{prefix}-{n}</c> in the zone the group chose, answering every request
/// after <see cref="Latency"/>. Stopping it closes the server; <see cref="GetStatus"/> reports whether it still runs.
/// </summary>
internal sealed class KestrelInstanceLauncher(string prefix) : IInstanceLauncher, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ScenarioBackend> _backends = new(StringComparer.Ordinal);
    private int _launched;

    public int LaunchTemplateVersion => 1;

    /// <summary>The processing time of each request on the instances launched from now on.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Every backend this launcher started, running or stopped, keyed by address.</summary>
    public IReadOnlyCollection<ScenarioBackend> Backends => [.. _backends.Values];

    public async ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken)
    {
        var name = FormattableString.Invariant($"{prefix}-{Interlocked.Increment(ref _launched)}");
        var backend = await ScenarioBackend.StartAsync(name, zone ?? "-").ConfigureAwait(false);
        backend.Latency = Latency;
        _backends[backend.Address] = backend;
        return new LaunchedInstance(name, new LoadBalancedEndpoint(backend.Address, zone), zone, LaunchTemplateVersion, backend);
    }

    public async ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken) =>
        await ((ScenarioBackend)instance.Handle!).StopAsync().ConfigureAwait(false);

    public InstanceStatus GetStatus(LaunchedInstance instance) =>
        ((ScenarioBackend)instance.Handle!).IsRunning ? InstanceStatus.Running : InstanceStatus.Stopped;

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync().ConfigureAwait(false);
        }
    }
}
