using System.Text;

namespace Loadstone.Tests.Affinity;

public sealed class StableHashTests
{
    // Reference values from the xxHash library (libxxhash 0.8.1, XXH64).
    [Theory]
    [InlineData("", 0UL, 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0UL, 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0UL, 0x44BC2CF5AD770999UL)]
    [InlineData("abc", 42UL, 0x13C1D910702770E6UL)]
    [InlineData("Nobody inspects the spammish repetition", 0UL, 0xFBCEA83C8A378BF1UL)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0UL, 0x0B242D361FDA71BCUL)]
    [InlineData("The quick brown fox jumps over the lazy dog", 42UL, 0xAA9F288A8BAA3D3FUL)]
    public void Hash_ReferenceVectors_MatchXxHash64(string text, ulong seed, ulong expected)
    {
        Assert.Equal(expected, StableHash.Hash(Encoding.ASCII.GetBytes(text), seed));
    }

    [Fact]
    public void Hash_HundredBytes_MatchesXxHash64()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

        Assert.Equal(0x6AC1E58032166597UL, StableHash.Hash(data));
        Assert.Equal(0x819D2B726001D507UL, StableHash.Hash(data, 42));
    }

    [Fact]
    public void Hash_String_IsXxHash64OfUtf16LittleEndian()
    {
        const string text = "http://10.0.0.5:8080";

        Assert.Equal(StableHash.Hash(Encoding.Unicode.GetBytes(text)), StableHash.Hash(text.AsSpan()));
    }

    [Fact]
    public void Mix_ConsecutiveProbes_AreDistinct()
    {
        var values = Enumerable.Range(0, 1000).Select(k => StableHash.Mix(12345, (ulong)k)).ToHashSet();

        Assert.Equal(1000, values.Count);
    }
}
