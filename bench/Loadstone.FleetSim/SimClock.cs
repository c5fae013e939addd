namespace Loadstone.FleetSim;

/// <summary>
/// Virtual time for many pools at once: time moves only when the simulator says so; due timers (each pool's
/// housekeeping) fire in order as it passes them. Timers wait in a heap, so a thousand pools cost O(log n) per
/// advance. Single-threaded by design.
/// </summary>
internal sealed class SimClock : TimeProvider
{
    private readonly DateTimeOffset _start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly PriorityQueue<(SimTimer Timer, long Version), long> _due = new();
    private long _ticks;

    /// <summary>Ticks of 100 ns.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(_ticks);

    /// <summary>Now, in ticks since the start.</summary>
    public long Now => _ticks;

    /// <summary>Moves time to <paramref name="ticks"/> (never backwards), firing due timers in order.</summary>
    public void AdvanceTo(long ticks)
    {
        while (_due.TryPeek(out var entry, out var at) && at <= ticks)
        {
            _due.Dequeue();
            if (entry.Version != entry.Timer.Version)
            {
                continue; // changed or disposed since it was scheduled
            }

            _ticks = Math.Max(_ticks, at);
            if (entry.Timer.Period > 0)
            {
                Schedule(entry.Timer, _ticks + entry.Timer.Period);
            }

            entry.Timer.Fire();
        }

        _ticks = Math.Max(_ticks, ticks);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(SimTimer timer, long at) => _due.Enqueue((timer, timer.Version), at);

    private sealed class SimTimer(SimClock owner, TimerCallback callback, object? state) : ITimer
    {
        public long Version { get; private set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Version++;
            Period = period == Timeout.InfiniteTimeSpan ? 0 : Math.Max(0, period.Ticks);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                owner.Schedule(this, owner._ticks + Math.Max(0, dueTime.Ticks));
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => Version++;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
