using System.Diagnostics;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// Waits, within a bound, for something that real I/O (a DNS answer, an etcd event) brings about. The bound only keeps
/// a broken test from hanging; it is not what the test asserts.
/// </summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(10);
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit} waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? TimeSpan.FromSeconds(10);
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit} waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
