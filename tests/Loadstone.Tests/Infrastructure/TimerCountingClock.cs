using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also counts the timers created on it and not yet disposed: what a disposed
/// component left behind. Everything else is the fake clock's own behaviour (see <see cref="TestClock"/>).
/// </summary>
internal sealed class TimerCountingClock(DateTimeOffset? start = null) : FakeTimeProvider(start ?? TestClock.Start)
{
    private int _live;

    /// <summary>Timers created on this clock and not yet disposed, armed or not.</summary>
    public int TimerCount => Volatile.Read(ref _live);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _live);
        return new CountedTimer(timer, this);
    }

    private sealed class CountedTimer(ITimer inner, TimerCountingClock clock) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref clock._live);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
