using System.Runtime.InteropServices;
using Perfolizer.Horology;

namespace Loadstone.Benchmarks;

/// <summary>
/// A clock that counts only the CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), selected with
/// <c>--cpu-clock</c>. On a shared, oversubscribed machine wall-clock iterations include the time the benchmark
/// thread waited for a core; this clock leaves that out (cache pollution by the other processes stays in). Needs
/// <c>--inProcess</c>, and is meaningless for work done on other threads (the yielding handler benchmarks).
/// </summary>
internal sealed class ThreadCpuClock : IClock
{
    private const int ClockThreadCpuTimeId = 3;

    public string Title => "ThreadCpuTime";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => new(1_000_000_000d);

    public long GetTimestamp()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var now) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}
