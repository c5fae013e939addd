using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// Hands work from the request path to the control plane: <see cref="Post"/> returns at once, and the work runs soon
/// after on a thread-pool thread, one item at a time, in order. Used where a request crosses a threshold (an outlier
/// ejection) or first touches a pool (starting it), so the request never waits on a snapshot rebuild.
/// </summary>
internal sealed class ControlPlaneQueue(Action<Exception> onError)
{
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _work = new();
    private int _scheduled;

    /// <summary>
    /// Runs work on the posting thread instead. Only for single-threaded simulations on a virtual clock, which must not
    /// see the control plane run on another thread; never on a real request path.
    /// </summary>
    public bool RunsInline { get; set; }

    /// <summary>Queues work; never blocks (unless <see cref="RunsInline"/>).</summary>
    public void Post(Action<object?> work, object? state)
    {
        if (RunsInline)
        {
            work(state);
            return;
        }

        _work.Enqueue((work, state));
        Schedule();
    }

    /// <summary>Completes when everything posted before the call has run (for shutdown and for tests that wait on it).</summary>
    public Task WhenIdleAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(static s => ((TaskCompletionSource)s!).TrySetResult(), done);
        return done.Task;
    }

    private void Schedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static q => q.Drain(), this, preferLocal: false);
        }
    }

    private void Drain()
    {
        while (_work.TryDequeue(out var item))
        {
            try
            {
                item.Work(item.State);
            }
            catch (Exception ex)
            {
                onError(ex);
            }
        }

        Volatile.Write(ref _scheduled, 0);
        // Work posted between the last dequeue and the reset would otherwise wait for the next post.
        if (!_work.IsEmpty)
        {
            Schedule();
        }
    }
}
