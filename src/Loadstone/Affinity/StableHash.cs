using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Loadstone;

/// <summary>
/// xxHash64 (XXH64), a fast 64-bit hash whose value depends only on the input bytes and the seed, so endpoint ids
/// and sticky keys hash the same in every process and after every restart (unlike <see cref="string.GetHashCode()"/>,
/// which is randomised per process). Strings are hashed as their UTF-16 code units, little-endian, without
/// allocating.
/// </summary>
internal static class StableHash
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    /// <summary>The hash of a string's UTF-16 code units.</summary>
    public static ulong Hash(ReadOnlySpan<char> text, ulong seed = 0) => Hash(MemoryMarshal.AsBytes(text), seed);

    /// <summary>XXH64 of <paramref name="data"/>, bit-for-bit the reference algorithm.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = data.Length;
        ulong h;
        if (length >= 32)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[32..];
            }
            while (data.Length >= 32);

            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = MergeRound(h, v1);
            h = MergeRound(h, v2);
            h = MergeRound(h, v3);
            h = MergeRound(h, v4);
        }
        else
        {
            h = seed + Prime5;
        }

        h += (ulong)length;
        while (data.Length >= 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            h = (BitOperations.RotateLeft(h, 27) * Prime1) + Prime4;
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1;
            h = (BitOperations.RotateLeft(h, 23) * Prime2) + Prime3;
            data = data[4..];
        }

        foreach (var b in data)
        {
            h ^= b * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
        }

        return Avalanche(h);
    }

    /// <summary>
    /// Derives a further well-spread 64-bit value from a hash (the k-th probe of a sequence), with XXH64's
    /// final avalanche so consecutive <paramref name="k"/> give unrelated results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong hash, ulong k) => Avalanche(hash + (k * Prime1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong input) => BitOperations.RotateLeft(acc + (input * Prime2), 31) * Prime1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MergeRound(ulong acc, ulong value) => ((acc ^ Round(0, value)) * Prime1) + Prime4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }
}
