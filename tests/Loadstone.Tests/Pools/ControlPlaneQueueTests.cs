namespace Loadstone.Tests.Pools;

/// <summary>The hand-off from request threads: posting never runs the work on the poster, work runs in order, one item at a time.</summary>
public sealed class ControlPlaneQueueTests
{
    [Fact]
    public async Task Post_FromManyThreads_EveryItemRunsOnceInPostOrderPerThreadAndNeverTwoAtOnce()
    {
        var errors = new List<Exception>();
        var queue = new ControlPlaneQueue(errors.Add);
        var running = 0;
        var overlap = false;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(int Thread, int Item)>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 250; i++)
            {
                var item = (t, i);
                queue.Post(_ =>
                {
                    overlap |= Interlocked.Increment(ref running) > 1;
                    seen.Enqueue(item);
                    Interlocked.Decrement(ref running);
                }, null);
            }
        })));
        await queue.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(overlap);
        Assert.Empty(errors);
        Assert.Equal(1000, seen.Count);
        foreach (var group in seen.GroupBy(s => s.Thread))
        {
            Assert.Equal(Enumerable.Range(0, 250), group.Select(g => g.Item));
        }
    }

    [Fact]
    public async Task Post_WorkThrows_ReportedAndTheNextItemStillRuns()
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var queue = new ControlPlaneQueue(errors.Enqueue);
        var ran = false;

        queue.Post(static _ => throw new InvalidOperationException("boom"), null);
        queue.Post(_ => ran = true, null);
        await queue.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(ran);
        Assert.Equal("boom", Assert.Single(errors).Message);
    }

    [Fact]
    public async Task Post_NotInline_TheWorkDoesNotRunOnThePostingThread()
    {
        var queue = new ControlPlaneQueue(_ => { });
        var poster = Environment.CurrentManagedThreadId;
        var ranOn = -1;

        queue.Post(_ => ranOn = Environment.CurrentManagedThreadId, null);
        await queue.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotEqual(poster, ranOn);
    }

    [Fact]
    public void Post_RunsInline_TheWorkRunsBeforePostReturns()
    {
        var queue = new ControlPlaneQueue(_ => { }) { RunsInline = true };
        var ran = false;

        queue.Post(_ => ran = true, null);

        Assert.True(ran);
    }
}
