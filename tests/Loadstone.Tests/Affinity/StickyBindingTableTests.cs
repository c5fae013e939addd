using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Affinity;

public sealed class StickyBindingTableTests
{
    private readonly FakeTimeProvider _time = new();

    private StickyBindingTable Table(TimeSpan duration, int max = 1000) => new(max, duration, _time);

    [Fact]
    public void TryGetEndpoint_Bound_ReturnsTheEndpoint()
    {
        var table = Table(TimeSpan.FromDays(1));
        table.Bind(1, 100, _time.GetTimestamp());

        Assert.True(table.TryGetEndpoint(1, _time.GetTimestamp(), out var endpoint));
        Assert.Equal(100UL, endpoint);
        Assert.False(table.TryGetEndpoint(2, _time.GetTimestamp(), out _));
    }

    [Fact]
    public void TryGetEndpoint_AfterDurationWithoutUse_HasExpired()
    {
        var table = Table(TimeSpan.FromDays(1));
        table.Bind(1, 100, _time.GetTimestamp());

        _time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.True(table.TryGetEndpoint(1, _time.GetTimestamp(), out _));

        var fresh = Table(TimeSpan.FromDays(1));
        fresh.Bind(1, 100, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromDays(1));
        Assert.False(fresh.TryGetEndpoint(1, _time.GetTimestamp(), out _));
        Assert.Equal(0, fresh.Count);
    }

    [Fact]
    public void TryGetEndpoint_UsedBeforeExpiry_RenewsTheBinding()
    {
        var table = Table(TimeSpan.FromHours(1));
        table.Bind(1, 100, _time.GetTimestamp());

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(50));
            Assert.True(table.TryGetEndpoint(1, _time.GetTimestamp(), out _), $"expired at use {i}");
        }

        _time.Advance(TimeSpan.FromMinutes(61));
        Assert.False(table.TryGetEndpoint(1, _time.GetTimestamp(), out _));
    }

    [Fact]
    public void TryGetEndpoint_OneSecondDuration_ExpiresAfterOneSecond()
    {
        var table = Table(TimeSpan.FromSeconds(1));
        table.Bind(1, 100, _time.GetTimestamp());

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(table.TryGetEndpoint(1, _time.GetTimestamp(), out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(table.TryGetEndpoint(1, _time.GetTimestamp(), out _));
    }

    [Fact]
    public void Bind_Existing_RebindsAndMovesTheCount()
    {
        var table = Table(TimeSpan.FromDays(1));
        table.Bind(1, 100, 0);
        table.Bind(2, 100, 0);

        table.Bind(1, 200, 0);

        Assert.True(table.TryGetEndpoint(1, 0, out var endpoint));
        Assert.Equal(200UL, endpoint);
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.CountFor(100));
        Assert.Equal(1, table.CountFor(200));
    }

    [Fact]
    public void Bind_Full_EvictsExpiredFirst()
    {
        var table = Table(TimeSpan.FromMinutes(10), max: 100);
        for (var k = 0UL; k < 50; k++)
        {
            table.Bind(k, 1, _time.GetTimestamp());
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        for (var k = 50UL; k < 100; k++)
        {
            table.Bind(k, 1, _time.GetTimestamp());
        }

        _time.Advance(TimeSpan.FromMinutes(6)); // the first 50 have expired, the last 50 have not
        Assert.True(table.Bind(1000, 1, _time.GetTimestamp()));

        Assert.Equal(51, table.Count);
        Assert.All(Enumerable.Range(50, 50), k => Assert.True(table.TryGetEndpoint((ulong)k, _time.GetTimestamp(), out _)));
    }

    [Fact]
    public void Bind_FullOfLiveBindings_EvictsTheLeastRecentlyUsedDownToNinetyPercent()
    {
        var table = Table(TimeSpan.FromDays(1), max: 100);
        for (var k = 0UL; k < 100; k++)
        {
            table.Bind(k, 1, _time.GetTimestamp());
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Use the oldest ten again: they become the most recently used. (Renewal writes at most every 1 % of the
        // duration, so let more than that pass first.)
        _time.Advance(TimeSpan.FromHours(1));
        for (var k = 0UL; k < 10; k++)
        {
            Assert.True(table.TryGetEndpoint(k, _time.GetTimestamp(), out _));
        }

        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(table.Bind(1000, 1, _time.GetTimestamp()));

        Assert.Equal(91, table.Count);
        var now = _time.GetTimestamp();
        Assert.All(Enumerable.Range(0, 10), k => Assert.True(table.TryGetEndpoint((ulong)k, now, out _), $"key {k} was recently used"));
        Assert.All(Enumerable.Range(10, 10), k => Assert.False(table.TryGetEndpoint((ulong)k, now, out _), $"key {k} was least recently used"));
        Assert.True(table.TryGetEndpoint(1000, now, out _));
    }

    [Fact]
    public void Bind_ManyMoreKeysThanMax_NeverExceedsMax()
    {
        var table = Table(TimeSpan.FromDays(1), max: 1000);
        var peak = 0;
        for (var k = 0UL; k < 20_000; k++)
        {
            table.Bind(k, k % 7, _time.GetTimestamp());
            peak = Math.Max(peak, table.Count);
        }

        Assert.Equal(1000, peak);
        Assert.Equal(table.Count, Enumerable.Range(0, 7).Sum(e => table.CountFor((ulong)e)));
    }

    [Fact]
    public async Task BindAndLookup_Concurrently_KeepCountsConsistent()
    {
        var table = Table(TimeSpan.FromDays(1), max: 5000);
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var key = (ulong)((i * 7) + w) % 8000;
                if (!table.TryGetEndpoint(key, 0, out _))
                {
                    table.Bind(key, key % 5, 0);
                }
            }
        }));
        await Task.WhenAll(workers);

        Assert.InRange(table.Count, 1, 5000);
        Assert.Equal(table.Count, Enumerable.Range(0, 5).Sum(e => table.CountFor((ulong)e)));
    }

    [Fact]
    public void BindIfAbsent_LiveBinding_KeepsItAndRenews()
    {
        var table = Table(TimeSpan.FromHours(1));
        table.Bind(1, 100, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromMinutes(50));

        Assert.True(table.BindIfAbsent(1, 200, _time.GetTimestamp(), out var bound));

        Assert.Equal(100UL, bound);
        _time.Advance(TimeSpan.FromMinutes(50));
        Assert.True(table.TryGetEndpoint(1, _time.GetTimestamp(), out var endpoint));
        Assert.Equal(100UL, endpoint);
    }

    [Fact]
    public void BindIfAbsent_ExpiredBinding_IsReplaced()
    {
        var table = Table(TimeSpan.FromHours(1));
        table.Bind(1, 100, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromHours(2));

        Assert.True(table.BindIfAbsent(1, 200, _time.GetTimestamp(), out var bound));

        Assert.Equal(200UL, bound);
        Assert.Equal(0, table.CountFor(100));
        Assert.Equal(1, table.CountFor(200));
    }

    [Fact]
    public void RemoveExpired_RemovesOnlyExpired()
    {
        var table = Table(TimeSpan.FromMinutes(1));
        table.Bind(1, 10, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(30));
        table.Bind(2, 10, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(45));

        Assert.Equal(1, table.RemoveExpired(_time.GetTimestamp()));
        Assert.Equal(1, table.Count);
        Assert.Equal(1, table.CountFor(10));
    }
}
