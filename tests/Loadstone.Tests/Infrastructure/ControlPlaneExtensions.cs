namespace Loadstone.Tests;

/// <summary>
/// Waits for the work a request handed to a pool's control plane (an outlier ejection, the pool's start) to run.
/// A request returns without waiting for it; a test that looks at the result right after waits here, bounded.
/// </summary>
internal static class ControlPlaneExtensions
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static Task SettleAsync(this ServicePool pool) => pool.ControlPlane.WhenIdleAsync().WaitAsync(Limit);

    public static void Settle(this ServicePool pool) => pool.SettleAsync().GetAwaiter().GetResult();
}
