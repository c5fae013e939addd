using System.Numerics;

namespace Loadstone;

/// <summary>
/// Where client i of C sits on the unit circle the subsets are cut from: at slot s_i / C of an evenly spaced grid, so
/// that the clients' windows cover the endpoint ring evenly (every endpoint gets ⌊CS/N⌋ or ⌈CS/N⌉ clients).
/// </summary>
/// <remarks>
/// <para>
/// Slot i / C would put every client somewhere else whenever C changes (adding 1 % of the clients would move about
/// three quarters of all connections). Instead the clients are ordered by the van der Corput sequence (the bits of the
/// index reversed, read as a fraction): its first C points are spread evenly for every C, and client C, when it
/// joins, lands in one of the widest gaps, so the others' ranks, and hence their slots, shift by at most about one.
/// </para>
/// <para>
/// <see cref="Phase"/> keeps the grid where the van der Corput points are on average, so the whole grid does not
/// rotate by a fraction of a slot each time C changes. Only integer sums and IEEE divisions are used: every process
/// computes the same grid.
/// </para>
/// </remarks>
internal static class PeerGrid
{
    /// <summary>The van der Corput point of <paramref name="index"/>: its 32 bits reversed.</summary>
    public static uint Point(int index) => ReverseBits((uint)index);

    /// <summary>The slot of <paramref name="index"/> among <paramref name="count"/> clients: how many points lie below its own. O(C).</summary>
    public static int SlotOf(int index, int count)
    {
        var own = Point(index);
        var below = 0;
        for (var i = 0; i < count; i++)
        {
            below += Point(i) < own ? 1 : 0;
        }

        return below;
    }

    /// <summary>The slots of all <paramref name="count"/> clients, by index. O(C log C).</summary>
    public static int[] Slots(int count)
    {
        var points = new uint[count];
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            points[i] = Point(i);
            order[i] = i;
        }

        Array.Sort(points, order);
        var slots = new int[count];
        for (var s = 0; s < count; s++)
        {
            slots[order[s]] = s;
        }

        return slots;
    }

    /// <summary>
    /// The mean offset, in slots, of the clients' points from their slots: Σ point / 2^32 − (C − 1) / 2. The grid
    /// coordinate of slot s is (s + phase) / C.
    /// </summary>
    public static double Phase(int count)
    {
        var sum = 0UL;
        for (var i = 0; i < count; i++)
        {
            sum += Point(i);
        }

        return (sum / 4_294_967_296.0) - ((count - 1) / 2.0);
    }

    private static uint ReverseBits(uint value)
    {
        // Swap halves, then bytes, nibbles, pairs and single bits.
        value = BitOperations.RotateLeft(value, 16);
        value = ((value & 0x00FF00FFu) << 8) | ((value >> 8) & 0x00FF00FFu);
        value = ((value & 0x0F0F0F0Fu) << 4) | ((value >> 4) & 0x0F0F0F0Fu);
        value = ((value & 0x33333333u) << 2) | ((value >> 2) & 0x33333333u);
        return ((value & 0x55555555u) << 1) | ((value >> 1) & 0x55555555u);
    }
}
