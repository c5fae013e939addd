using System.IO.Hashing;
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
    // XXH64's primes, for the avalanche of derived values (Mix).
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;

    /// <summary>The hash of a string's UTF-16 code units.</summary>
    public static ulong Hash(ReadOnlySpan<char> text, ulong seed = 0) => Hash(MemoryMarshal.AsBytes(text), seed);

    /// <summary>XXH64 of <paramref name="data"/> (System.IO.Hashing's implementation of the reference algorithm).</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0) => XxHash64.HashToUInt64(data, unchecked((long)seed));

    /// <summary>
    /// Derives a further well-spread 64-bit value from a hash (the k-th probe of a sequence), with XXH64's
    /// final avalanche so consecutive <paramref name="k"/> give unrelated results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong hash, ulong k) => Avalanche(hash + (k * Prime1));

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
