using System.Collections.Concurrent;

namespace Loadstone;

/// <summary>
/// Sticky bindings: key hash → endpoint id hash, each expiring a fixed duration after its last use (renewed on
/// use, like an ALB <c>lb_cookie</c>). Holds hashes only, never raw keys.
/// </summary>
/// <remarks>
/// <para>Reads take no lock and allocate nothing; only a key's first binding allocates an entry.</para>
/// <para>
/// Bounded: it never holds more than <c>maxEntries</c>. When an insert finds it full, that inserting thread (one at a
/// time; others do not wait) removes expired entries and then the least recently used ones, down to 90 % of the
/// limit. Expiry is last use plus the duration, so "least recently used" is "earliest expiry". While a sweep runs, or
/// if nothing could be removed, new keys go unbound: they are still served by consistent hashing, which maps them to
/// the same endpoint as long as membership is stable.
/// </para>
/// <para>
/// Renewal writes the entry only once at least 1 % of the duration has passed since the last renewal, so a hot key
/// does not write a shared cache line on every request; an expiry may thus come up to 1 % of the duration early.
/// </para>
/// </remarks>
internal sealed class StickyBindingTable
{
    private readonly ConcurrentDictionary<ulong, Binding> _bindings;
    private readonly ConcurrentDictionary<ulong, KeyCount> _perEndpoint = new();
    private readonly long _durationTicks;
    private readonly long _renewSlackTicks;
    private int _count;
    private int _sweeping;

    /// <summary>Creates a table.</summary>
    /// <param name="maxEntries">The most bindings held at once, at least 1.</param>
    /// <param name="duration">How long a binding lives after its last use; positive.</param>
    /// <param name="timeProvider">The clock.</param>
    public StickyBindingTable(int maxEntries, TimeSpan duration, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        MaxEntries = maxEntries;
        Duration = duration;
        TimeProvider = timeProvider;
        _durationTicks = Math.Max(1, (long)(duration.TotalSeconds * timeProvider.TimestampFrequency));
        _renewSlackTicks = _durationTicks / 100;
        _bindings = new ConcurrentDictionary<ulong, Binding>(Environment.ProcessorCount, Math.Min(maxEntries, 1024));
    }

    public int MaxEntries { get; }

    public TimeSpan Duration { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>The bindings held now, expired ones not yet removed included.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The endpoint a key is bound to, when it is bound and not expired at <paramref name="now"/>; the binding is
    /// renewed. An expired binding is removed.
    /// </summary>
    public bool TryGetEndpoint(ulong keyHash, long now, out ulong endpointHash)
    {
        if (_bindings.TryGetValue(keyHash, out var binding))
        {
            var expiresAt = Volatile.Read(ref binding.ExpiresAt);
            if (now < expiresAt)
            {
                if (now + _durationTicks - expiresAt > _renewSlackTicks)
                {
                    Volatile.Write(ref binding.ExpiresAt, now + _durationTicks);
                }

                endpointHash = Volatile.Read(ref binding.Endpoint);
                return true;
            }

            TryRemove(binding);
        }

        endpointHash = 0;
        return false;
    }

    /// <summary>Binds a key to an endpoint from <paramref name="now"/> on, replacing any binding it had.</summary>
    /// <returns><see langword="false"/> when the table is full and nothing could be evicted, so the key stays unbound.</returns>
    public bool Bind(ulong keyHash, ulong endpointHash, long now) => Bind(keyHash, endpointHash, now, replace: true, out _);

    /// <summary>
    /// Binds a key that has no live binding. When another request bound it meanwhile, that binding wins (and is
    /// renewed), so concurrent first requests of one key agree.
    /// </summary>
    /// <param name="keyHash">The key.</param>
    /// <param name="endpointHash">The endpoint to bind it to.</param>
    /// <param name="now">The current timestamp.</param>
    /// <param name="bound">The endpoint the key is bound to afterwards.</param>
    /// <returns><see langword="false"/> when the table is full and nothing could be evicted, so the key stays unbound.</returns>
    public bool BindIfAbsent(ulong keyHash, ulong endpointHash, long now, out ulong bound) =>
        Bind(keyHash, endpointHash, now, replace: false, out bound);

    private bool Bind(ulong keyHash, ulong endpointHash, long now, bool replace, out ulong bound)
    {
        var expiresAt = now + _durationTicks;
        bound = endpointHash;
        while (true)
        {
            if (_bindings.TryGetValue(keyHash, out var existing))
            {
                if (!replace && now < Volatile.Read(ref existing.ExpiresAt))
                {
                    Volatile.Write(ref existing.ExpiresAt, expiresAt);
                    bound = Volatile.Read(ref existing.Endpoint);
                    return true;
                }

                var previous = Interlocked.Exchange(ref existing.Endpoint, endpointHash);
                Volatile.Write(ref existing.ExpiresAt, expiresAt);
                if (previous != endpointHash)
                {
                    Decrement(previous);
                    Increment(endpointHash);
                }

                return true;
            }

            if (Volatile.Read(ref _count) >= MaxEntries && !TryMakeRoom(now))
            {
                return false;
            }

            var binding = new Binding(keyHash, endpointHash, expiresAt);
            if (_bindings.TryAdd(keyHash, binding))
            {
                Interlocked.Increment(ref _count);
                Increment(endpointHash);
                return true;
            }

            // Another thread bound the key first: rebind its entry.
        }
    }

    /// <summary>Removes a key's binding.</summary>
    public bool Remove(ulong keyHash) => _bindings.TryGetValue(keyHash, out var binding) && TryRemove(binding);

    /// <summary>The bindings held for an endpoint (approximate under concurrent changes).</summary>
    public int CountFor(ulong endpointHash) => _perEndpoint.TryGetValue(endpointHash, out var count) ? Volatile.Read(ref count.Value) : 0;

    /// <summary>The live counter of an endpoint's bindings, for bounded-load lookups; created on first use.</summary>
    internal KeyCount CounterFor(ulong endpointHash) => _perEndpoint.GetOrAdd(endpointHash, static _ => new KeyCount());

    /// <summary>Removes every binding expired at <paramref name="now"/>; a timer may call it to free memory early.</summary>
    /// <returns>How many were removed.</returns>
    public int RemoveExpired(long now)
    {
        var removed = 0;
        foreach (var pair in _bindings)
        {
            if (now >= Volatile.Read(ref pair.Value.ExpiresAt) && TryRemove(pair.Value))
            {
                removed++;
            }
        }

        return removed;
    }

    private bool TryMakeRoom(long now)
    {
        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            RemoveExpired(now);
            var lowWater = MaxEntries - Math.Max(1, MaxEntries / 10);
            var excess = Volatile.Read(ref _count) - lowWater;
            if (excess > 0)
            {
                var entries = _bindings.Values.ToArray();
                var expiries = new long[entries.Length];
                for (var i = 0; i < entries.Length; i++)
                {
                    expiries[i] = Volatile.Read(ref entries[i].ExpiresAt);
                }

                Array.Sort(expiries, entries);
                for (var i = 0; i < entries.Length && excess > 0; i++)
                {
                    if (TryRemove(entries[i]))
                    {
                        excess--;
                    }
                }
            }

            return Volatile.Read(ref _count) < MaxEntries;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private bool TryRemove(Binding binding)
    {
        if (!_bindings.TryRemove(new KeyValuePair<ulong, Binding>(binding.Key, binding)))
        {
            return false;
        }

        Interlocked.Decrement(ref _count);
        Decrement(Volatile.Read(ref binding.Endpoint));
        return true;
    }

    private void Increment(ulong endpointHash) => Interlocked.Increment(ref CounterFor(endpointHash).Value);

    private void Decrement(ulong endpointHash)
    {
        if (_perEndpoint.TryGetValue(endpointHash, out var count))
        {
            Interlocked.Decrement(ref count.Value);
        }
    }

    private sealed class Binding(ulong key, ulong endpoint, long expiresAt)
    {
        public readonly ulong Key = key;
        public ulong Endpoint = endpoint;
        public long ExpiresAt = expiresAt;
    }
}

/// <summary>A counter of the keys bound to one endpoint, shared between the binding table and lookups.</summary>
internal sealed class KeyCount
{
    public int Value;
}
