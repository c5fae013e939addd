using System.Diagnostics;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// Waits, within a bound, for background work to finish (a coordinated group commits and acts on a pump, and takes
/// leadership over on a task of its own). The bound keeps a broken test from hanging; it is not what the test asserts.
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

            await Task.Delay(5);
        }
    }
}
