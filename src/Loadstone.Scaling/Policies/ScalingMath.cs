namespace Loadstone.Scaling;

/// <summary>The arithmetic of adjustments, as Auto Scaling does it.</summary>
internal static class ScalingMath
{
    /// <summary>The change in instances for an adjustment on <paramref name="current"/> (before clamping).</summary>
    public static int Change(int current, AdjustmentType type, int adjustment, int? minAdjustmentMagnitude)
    {
        switch (type)
        {
            case AdjustmentType.ExactCapacity:
                return adjustment - current;
            case AdjustmentType.ChangeInCapacity:
                return adjustment;
            default:
                var raw = current * adjustment / 100.0;
                int change = raw switch
                {
                    > 0 and < 1 => 1,
                    < 0 and > -1 => -1,
                    _ => (int)Math.Truncate(raw),
                };
                if (minAdjustmentMagnitude is { } m && change != 0 && Math.Abs(change) < m)
                {
                    change = Math.Sign(change) * m;
                }

                return change;
        }
    }

    public static int Clamp(int value, int min, int max) => Math.Min(Math.Max(value, min), max);
}
