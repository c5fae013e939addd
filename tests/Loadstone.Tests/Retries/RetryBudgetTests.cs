using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Retries;

/// <summary>The retry budget: a percentage of recent requests plus a floor per second, over a 10-second window.</summary>
public sealed class RetryBudgetTests
{
    private static int Withdraw(RetryBudget budget, int attempts)
    {
        var granted = 0;
        for (var i = 0; i < attempts; i++)
        {
            granted += budget.TryWithdraw() ? 1 : 0;
        }

        return granted;
    }

    private static void Requests(RetryBudget budget, int count)
    {
        for (var i = 0; i < count; i++)
        {
            budget.OnRequest();
        }
    }

    [Fact]
    public void TryWithdraw_NoRequests_FloorTimesWindowOnly()
    {
        var time = TestClock.Create();
        var budget = new RetryBudget(20, 2, time);

        Assert.Equal(20, Withdraw(budget, 100)); // 2 per second over 10 s
    }

    [Fact]
    public void TryWithdraw_PercentOnly_ShareOfRequests()
    {
        var time = TestClock.Create();
        var budget = new RetryBudget(20, 0, time);
        Assert.False(budget.TryWithdraw());

        Requests(budget, 100);

        Assert.Equal(20, Withdraw(budget, 100));
    }

    [Fact]
    public void TryWithdraw_PercentAndFloor_Add()
    {
        var time = TestClock.Create();
        var budget = new RetryBudget(20, 1, time);

        Requests(budget, 50);

        Assert.Equal(10 + 10, Withdraw(budget, 100));
    }

    [Fact]
    public void TryWithdraw_RequestsAndRetriesOlderThanTheWindow_NoLongerCount()
    {
        var time = TestClock.Create();
        var late = new RetryBudget(50, 0, time);
        var early = new RetryBudget(50, 0, time);
        Requests(late, 10);
        Requests(early, 10);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(5, Withdraw(early, 100)); // 9 s old: still in the window
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Withdraw(late, 100)); // 10 s old: gone

        time.Advance(TimeSpan.FromSeconds(9));
        Requests(early, 10);
        Assert.Equal(5, Withdraw(early, 100)); // the retries of 10 s ago are gone too
    }

    [Fact]
    public void TryWithdraw_SpentThenWindowPasses_Refills()
    {
        var time = TestClock.Create();
        var budget = new RetryBudget(20, 1, time);
        Assert.Equal(10, Withdraw(budget, 50));

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(budget.TryWithdraw());
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(10, Withdraw(budget, 50));
    }

    [Fact]
    public void TryWithdraw_ZeroBudget_NeverRetries()
    {
        var budget = new RetryBudget(0, 0, TestClock.Create());
        Requests(budget, 1000);

        Assert.False(budget.TryWithdraw());
    }
}
