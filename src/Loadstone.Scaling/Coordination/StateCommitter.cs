using Microsoft.Extensions.Logging;

namespace Loadstone.Scaling;

/// <summary>
/// Makes a coordinated group commit before it acts. At the end of every change made while leading, the group's state
/// is captured and its changed documents queued with the work the change deferred (launches, stops, deregistrations,
/// events); a single pump writes them through the coordinator (fenced on the leader's term, retried while the term
/// lasts) and only then runs that work, in order. When the term ends, whatever is not committed is dropped: the next
/// leader decides again from the committed state.
/// </summary>
internal sealed partial class StateCommitter(GroupContext context, IScalingGroupCoordinator coordinator, GroupState state, CancellationToken disposed)
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(2);

    private readonly List<Entry> _pending = [];
    private Dictionary<string, byte[]> _submitted = new(StringComparer.Ordinal);
    private long _term;
    private Task _pump = Task.CompletedTask;
    private bool _pumping;

    /// <summary>The term being committed; 0 while not leading. Read anywhere.</summary>
    public long Term => Volatile.Read(ref _term);

    /// <summary>Starts a term: what the store holds is what is committed. Under the group's lock.</summary>
    public void Begin(long term, IReadOnlyDictionary<string, ReadOnlyMemory<byte>> stored)
    {
        _pending.Clear();
        _submitted = stored.ToDictionary(d => d.Key, d => d.Value.ToArray(), StringComparer.Ordinal);
        Volatile.Write(ref _term, term);
    }

    /// <summary>Ends the term: nothing more is written or run. Under the group's lock.</summary>
    public void End()
    {
        Volatile.Write(ref _term, 0);
        _pending.Clear();
    }

    /// <summary>
    /// The <see cref="ChangeRunner.Committer"/>: while leading, queues the run's changed documents with its deferred work and
    /// returns nothing to run now; otherwise returns the work to run at once (a copy that follows commits nothing).
    /// Under the group's lock.
    /// </summary>
    public List<Action> Submit(List<Action> deferred)
    {
        var term = _term;
        if (term == 0)
        {
            return deferred;
        }

        var captured = state.Capture();
        var changes = Diff(_submitted, captured);
        _submitted = captured;
        if (changes.Count > 0 || deferred.Count > 0)
        {
            _pending.Add(new Entry(term, changes, deferred));
            if (!_pumping)
            {
                _pumping = true;
                _pump = Task.Run(PumpAsync);
            }
        }

        return [];
    }

    /// <summary>Waits until what is queued has been committed (or dropped), at most <paramref name="limit"/>.</summary>
    public async Task FlushAsync(TimeSpan limit)
    {
        Task pump;
        lock (context.Runner.Gate)
        {
            pump = _pump;
        }

        try
        {
            await pump.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Left for the next leader: it finds the state as committed so far.
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            List<Entry> batch;
            lock (context.Runner.Gate)
            {
                if (_pending.Count == 0)
                {
                    _pumping = false;
                    return;
                }

                batch = [.. _pending];
                _pending.Clear();
            }

            var term = batch[0].Term;
            var changes = Merge(batch);
            if (changes.Count > 0 && !await WriteAsync(term, changes).ConfigureAwait(false))
            {
                continue; // not the leader of that term any more: the coordinator's change token ends the term
            }

            foreach (var entry in batch)
            {
                // Acts only while still the leader of the term the work was decided in.
                if (Term == term && coordinator.IsLeader && coordinator.Term == term)
                {
                    context.Runner.RunDeferred(entry.Deferred);
                }
            }
        }
    }

    private async Task<bool> WriteAsync(long term, List<ScalingStateChange> changes)
    {
        for (var failures = 0; ; failures++)
        {
            if (Term != term || disposed.IsCancellationRequested && failures > 0)
            {
                return false;
            }

            try
            {
                var written = await coordinator.WriteStateAsync(term, changes, CancellationToken.None).ConfigureAwait(false);
                if (!written)
                {
                    Log.CommitRefused(context.Logger, context.Name, coordinator.Name, term);
                }

                return written;
            }
#pragma warning disable CA1031 // The store is out of reach: try again while the term lasts.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var delay = TimeSpan.FromTicks(Math.Min(s_maxRetry.Ticks, s_firstRetry.Ticks << Math.Min(failures, 10)));
                Log.CommitFailed(context.Logger, context.Name, coordinator.Name, delay, ex);
                try
                {
                    await Task.Delay(delay, context.Time, disposed).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Disposed: one last try, then give up.
                }
            }
        }
    }

    /// <summary>The documents that differ, deletions first, activities before the group document (which refers to them).</summary>
    private static List<ScalingStateChange> Diff(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
    {
        var changes = new List<ScalingStateChange>();
        foreach (var key in before.Keys)
        {
            if (!after.ContainsKey(key))
            {
                changes.Add(ScalingStateChange.Delete(key));
            }
        }

        foreach (var (key, value) in after.OrderBy(d => d.Key == GroupDocument.Key ? 1 : 0).ThenBy(d => d.Key, StringComparer.Ordinal))
        {
            if (!before.TryGetValue(key, out var old) || !old.AsSpan().SequenceEqual(value))
            {
                changes.Add(ScalingStateChange.Put(key, value));
            }
        }

        return changes;
    }

    /// <summary>The changes of several runs as one: the last write of each key wins, in the order of the last runs.</summary>
    private static List<ScalingStateChange> Merge(List<Entry> batch)
    {
        if (batch.Count == 1)
        {
            return batch[0].Changes;
        }

        var last = new Dictionary<string, ScalingStateChange>(StringComparer.Ordinal);
        foreach (var change in batch.SelectMany(e => e.Changes))
        {
            last.Remove(change.Key);
            last[change.Key] = change;
        }

        return [.. last.Values.OrderBy(c => c.IsDelete ? 0 : 1).ThenBy(c => c.Key == GroupDocument.Key ? 1 : 0)];
    }

    private sealed record Entry(long Term, List<ScalingStateChange> Changes, List<Action> Deferred);

    private static partial class Log
    {
        [LoggerMessage(107, LogLevel.Warning, "Scaling group '{Group}': could not commit its state through {Coordinator}; trying again in {Delay} while it leads.", EventName = "CommitFailed")]
        public static partial void CommitFailed(ILogger logger, string group, string coordinator, TimeSpan delay, Exception exception);

        [LoggerMessage(108, LogLevel.Warning, "Scaling group '{Group}': {Coordinator} refused a commit of term {Term}: this copy no longer leads; the change is dropped.", EventName = "CommitRefused")]
        public static partial void CommitRefused(ILogger logger, string group, string coordinator, long term);
    }
}
