using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// Runs every change of a group under its lock, then, outside the lock, the work the change deferred (launcher
/// calls, events, endpoint updates) in the order it was deferred. A change made while the lock's holder is computing
/// (a delegate the group called calling back into it) is queued and applied by the holder.
/// </summary>
internal sealed partial class ChangeRunner(string group, TimeProvider time, ILogger logger)
{
    private const int MaxRounds = 10;

    private readonly List<Action> _deferred = [];
    private readonly List<Action<DateTimeOffset>> _queued = [];
    private bool _running;

    /// <summary>The group's lock: held while a change or a reconcile pass runs, and by readers of the group's state.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The pass a reconciling change runs after it; <see langword="null"/> until the group starts. Set under <see cref="Gate"/>.</summary>
    public Action<DateTimeOffset>? Reconciler { get; set; }

    /// <summary>Whether the group is disposed: changes are ignored. Set under <see cref="Gate"/>.</summary>
    public bool IsStopped { get; set; }

    /// <summary>
    /// Set when the group has a coordinator: called under <see cref="Gate"/> at the end of each run with the work the run
    /// deferred; returns the part to run now (the rest runs once the state it depends on is committed).
    /// </summary>
    public Func<List<Action>, List<Action>>? Committer { get; set; }

    /// <summary>Adds work to run once the lock is released. Called under <see cref="Gate"/>, by a change or a pass.</summary>
    public void Defer(Action action) => _deferred.Add(action);

    /// <summary>Applies a change and/or reconciles under the lock, then runs the deferred work outside it.</summary>
    /// <param name="change">The change; <see langword="null"/> to only reconcile.</param>
    /// <param name="reconcile">Whether a reconcile pass follows the change (once the group has started).</param>
    /// <returns>
    /// <see langword="false"/> when the change was queued for the lock's current holder (a call from inside a delegate
    /// the group is calling) or ignored (the group is disposed); <see langword="true"/> when it ran.
    /// </returns>
    public bool Run(Action<DateTimeOffset>? change, bool reconcile)
    {
        List<Action> deferred;
        lock (Gate)
        {
            var now = time.GetUtcNow();
            if (_running)
            {
                if (change is not null)
                {
                    _queued.Add(change);
                }

                return false;
            }

            if (IsStopped)
            {
                return false;
            }

            _running = true;
            try
            {
                change?.Invoke(now);
                for (var round = 0; round < MaxRounds && (_queued.Count > 0 || round == 0); round++)
                {
                    foreach (var queued in _queued.ToArray())
                    {
                        _queued.Remove(queued);
                        queued(now);
                    }

                    if (reconcile && Reconciler is { } pass)
                    {
                        try
                        {
                            pass(now);
                        }
#pragma warning disable CA1031 // A failing delegate (metric, health, termination policy) must not stop the timer.
                        catch (Exception ex)
#pragma warning restore CA1031
                        {
                            Log.ReconcileFailed(logger, group, ex);
                        }
                    }
                }
            }
            finally
            {
                _running = false;
                deferred = [.. _deferred];
                _deferred.Clear();
                if (Committer is { } commit)
                {
                    deferred = commit(deferred);
                }
            }
        }

        RunDeferred(deferred);
        return true;
    }

    /// <summary>Runs deferred work outside the lock, in order; a failure is logged and does not stop the rest.</summary>
    public void RunDeferred(List<Action> deferred)
    {
        foreach (var action in deferred)
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // An event handler's exception must not break the group's bookkeeping.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.HandlerFailed(logger, group, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(105, LogLevel.Error, "Scaling group '{Group}': a reconcile pass failed; the next tick tries again.", EventName = "ReconcileFailed")]
        public static partial void ReconcileFailed(ILogger logger, string group, Exception exception);

        [LoggerMessage(106, LogLevel.Warning, "Scaling group '{Group}': an event handler threw.", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string group, Exception exception);
    }
}
