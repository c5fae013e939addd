namespace Loadstone.LoadLab;

/// <summary>
/// A clock for the fleet simulator: time moves only when the simulator says so, and due timers fire on the
/// simulator's thread as it passes them. Single-threaded by design.
/// </summary>
internal sealed class VirtualTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<VirtualTimer> _timers = [];
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
        while (true)
        {
            VirtualTimer? due = null;
            foreach (var t in _timers)
            {
                if (t.DueAt is { } d && d <= ticks && (due is null || d < due.DueAt))
                {
                    due = t;
                }
            }

            if (due is null)
            {
                _ticks = Math.Max(_ticks, ticks);
                return;
            }

            _ticks = Math.Max(_ticks, due.DueAt!.Value);
            due.DueAt = due.Period > 0 ? _ticks + due.Period : null;
            due.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        _timers.Add(timer);
        return timer;
    }

    private sealed class VirtualTimer(VirtualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueAt { get; set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._ticks + Math.Max(0, dueTime.Ticks);
            Period = period == Timeout.InfiniteTimeSpan ? 0 : Math.Max(0, period.Ticks);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            DueAt = null;
            owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
