namespace Loadstone.ServiceDiscovery.Tests;

/// <summary>
/// Waits, within a bound, for something another thread publishes (a control-plane snapshot, a reloaded source). The
/// bound only limits a broken test; a passing one returns as soon as the condition holds.
/// </summary>
public static class Eventually
{
    public static async Task<T> ThatAsync<T>(Func<T> read, Func<T, bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = read();
            if (condition(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(10);
        }
    }
}
