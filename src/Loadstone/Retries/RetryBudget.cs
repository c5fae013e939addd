namespace Loadstone;

/// <summary>
/// Finagle's retry budget: over the last 10 seconds, retries may be at most a percentage of requests plus a floor per
/// second, so that a sick fleet is not hammered by retries. Lock-free; counts are kept in ten one-second buckets.
/// </summary>
internal sealed class RetryBudget(int percent, int minPerSecond, TimeProvider timeProvider)
{
    internal const int WindowSeconds = 10;
    private readonly Bucket[] _buckets = CreateBuckets();

    public void OnRequest() => Current().AddRequest();

    /// <summary>
    /// Counts a request in <paramref name="second"/> (a timestamp of the budget's clock already read, divided by its
    /// frequency): one clock read and one division serve every budget a request counts in.
    /// </summary>
    public void OnRequestInSecond(long second) => Current(second).AddRequest();

    /// <summary>Takes one retry from the budget; false when it is spent.</summary>
    public bool TryWithdraw()
    {
        var now = Second();
        long requests = 0, retries = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket.Epoch > now - WindowSeconds)
            {
                requests += bucket.Requests;
                retries += bucket.Retries;
            }
        }

        var allowed = (requests * percent / 100) + ((long)minPerSecond * WindowSeconds);
        if (retries >= allowed)
        {
            return false;
        }

        Current().AddRetry();
        return true;
    }

    private long Second() => timeProvider.GetTimestamp() / timeProvider.TimestampFrequency;

    private Bucket Current() => Current(Second());

    private Bucket Current(long second)
    {
        var bucket = _buckets[second % WindowSeconds];
        bucket.Roll(second);
        return bucket;
    }

    private static Bucket[] CreateBuckets()
    {
        var buckets = new Bucket[WindowSeconds];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = new Bucket();
        }

        return buckets;
    }

    private sealed class Bucket
    {
        private long _epoch = long.MinValue / 2;
        private long _requests;
        private long _retries;

        public long Epoch => Volatile.Read(ref _epoch);

        public long Requests => Volatile.Read(ref _requests);

        public long Retries => Volatile.Read(ref _retries);

        public void AddRequest() => Interlocked.Increment(ref _requests);

        public void AddRetry() => Interlocked.Increment(ref _retries);

        // The first caller in a new second resets the bucket; a racing increment may be lost, which a budget tolerates.
        public void Roll(long second)
        {
            var epoch = Volatile.Read(ref _epoch);
            if (epoch != second && Interlocked.CompareExchange(ref _epoch, second, epoch) == epoch)
            {
                Volatile.Write(ref _requests, 0);
                Volatile.Write(ref _retries, 0);
            }
        }
    }
}
