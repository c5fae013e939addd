using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>
/// A coordinated group's side of leadership. When this copy becomes the leader it reads the committed state, takes it
/// over (instances reattached, lifecycle hooks and refresh continued, launches and stops a previous leader started
/// completed) and starts acting; when it stops leading it drops what it had not committed and shows the committed state
/// again; while it follows it shows every committed change. Leadership changes arrive through the coordinator's change
/// token and are handled one at a time.
/// </summary>
internal sealed partial class GroupCoordination(
    GroupContext context,
    IScalingGroupCoordinator coordinator,
    GroupState state,
    StateCommitter committer,
    Action<DateTimeOffset> reconcile,
    Action<DateTimeOffset> resume) : IAsyncDisposable
{
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_flushLimit = TimeSpan.FromSeconds(5);

    private readonly Lock _sync = new();
    private readonly CancellationTokenSource _stopping = new();
    private IDisposable? _subscription;
    private bool _dirty;
    private bool _looping;
    private Task _loop = Task.CompletedTask;

    public IScalingGroupCoordinator Coordinator => coordinator;

    /// <summary>Whether this copy acts now: it leads the term whose state it took over. Read under the group's lock.</summary>
    public bool IsLeading => context.Term != 0 && coordinator.IsLeader && coordinator.Term == context.Term;

    /// <summary>Why an operation is refused now, or <see langword="null"/> when this copy leads. Under the group's lock.</summary>
    public string? Refusal => IsLeading
        ? null
        : $"Scaling group '{context.Name}' is led by another copy: this one ({coordinator.Name}) shows the group's state but cannot change it. Call the copy whose IsLeader is true.";

    /// <summary>Starts campaigning and following the coordinator.</summary>
    public void Start()
    {
        _subscription = ChangeToken.OnChange(coordinator.GetChangeToken, Signal);
        _ = StartCoordinatorAsync();
        Signal();
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await committer.FlushAsync(s_flushLimit).ConfigureAwait(false);
        Task loop;
        lock (_sync)
        {
            loop = _loop;
        }

        await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await coordinator.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Leadership then lapses with the lease.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StopFailed(context.Logger, context.Name, coordinator.Name, ex);
        }

        _stopping.Dispose();
    }

    private async Task StartCoordinatorAsync()
    {
        try
        {
            await coordinator.StartAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed while starting.
        }
#pragma warning disable CA1031 // Logged; the coordinator keeps trying on its own.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StartFailed(context.Logger, context.Name, coordinator.Name, ex);
        }
    }

    private void Signal()
    {
        lock (_sync)
        {
            _dirty = true;
            if (_looping || _stopping.IsCancellationRequested)
            {
                return;
            }

            _looping = true;
            _loop = Task.Run(LoopAsync);
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            lock (_sync)
            {
                if (!_dirty || _stopping.IsCancellationRequested)
                {
                    _looping = false;
                    return;
                }

                _dirty = false;
            }

            try
            {
                await SyncAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The store is out of reach or its state unreadable: logged, tried again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SyncFailed(context.Logger, context.Name, coordinator.Name, ex);
                try
                {
                    await Task.Delay(s_retry, context.Time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                lock (_sync)
                {
                    _dirty = true;
                }
            }
        }
    }

    private async Task SyncAsync()
    {
        var leader = coordinator.IsLeader;
        var term = leader ? coordinator.Term : 0;
        bool leading;
        lock (context.Runner.Gate)
        {
            leading = context.Term != 0;
        }

        if (leader && leading && term == context.Term)
        {
            return; // the same term: the committed changes are this copy's own
        }

        var documents = await coordinator.ReadStateAsync(_stopping.Token).ConfigureAwait(false);
        context.Runner.Run(now => Apply(documents, leader, term, now), reconcile: leader);
    }

    private void Apply(IReadOnlyDictionary<string, ReadOnlyMemory<byte>> documents, bool leader, long term, DateTimeOffset now)
    {
        if (context.Term != 0 && (!leader || term != context.Term))
        {
            Log.SteppedDown(context.Logger, context.Name, coordinator.Name, context.Term);
            context.Term = 0;
            committer.End();
            context.Runner.Reconciler = null;
        }

        if (!leader)
        {
            state.Restore(documents, asLeader: false, now);
            return;
        }

        if (!coordinator.IsLeader || coordinator.Term != term)
        {
            Signal(); // changed again while reading: look again
            return;
        }

        var resumed = state.Restore(documents, asLeader: true, now);
        context.Term = term;
        committer.Begin(term, documents);
        context.Runner.Reconciler = reconcile;
        Log.Leading(context.Logger, context.Name, coordinator.Name, term, context.Capacity.Desired, context.Instances.Count,
            resumed ? "resuming from the committed state" : "with no committed state: starting as configured");
        resume(now);
    }

    private static partial class Log
    {
        [LoggerMessage(109, LogLevel.Information, "Scaling group '{Group}': this copy leads through {Coordinator} (term {Term}), desired capacity {Desired}, {Instances} instances, {How}.", EventName = "Leading")]
        public static partial void Leading(ILogger logger, string group, string coordinator, long term, int desired, int instances, string how);

        [LoggerMessage(110, LogLevel.Warning, "Scaling group '{Group}': this copy no longer leads through {Coordinator} (term {Term}); it stops acting.", EventName = "SteppedDown")]
        public static partial void SteppedDown(ILogger logger, string group, string coordinator, long term);

        [LoggerMessage(111, LogLevel.Warning, "Scaling group '{Group}': could not read the state from {Coordinator}; trying again.", EventName = "StateReadFailed")]
        public static partial void SyncFailed(ILogger logger, string group, string coordinator, Exception exception);

        [LoggerMessage(112, LogLevel.Error, "Scaling group '{Group}': {Coordinator} failed to start.", EventName = "CoordinatorStartFailed")]
        public static partial void StartFailed(ILogger logger, string group, string coordinator, Exception exception);

        [LoggerMessage(113, LogLevel.Warning, "Scaling group '{Group}': {Coordinator} failed to stop; leadership lapses when its lease expires.", EventName = "CoordinatorStopFailed")]
        public static partial void StopFailed(ILogger logger, string group, string coordinator, Exception exception);
    }
}
