using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// The committed state and the leadership of a coordinated group, in memory, for tests of the group's side of the
/// contract (etcd's side is tested against a real etcd in Loadstone.Scaling.Etcd.Tests). <see cref="Elect"/> hands
/// leadership to a copy with a new term; writes are fenced on the leader and its term, as etcd's transactions are.
/// </summary>
internal sealed class SharedStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _documents = new(StringComparer.Ordinal);
    private readonly List<TestCoordinator> _copies = [];
    private long _term = 100;

    public TestCoordinator? Leader { get; private set; }

    public long Term { get; private set; }

    /// <summary>Committed writes so far (one per accepted transaction).</summary>
    public int Commits { get; private set; }

    /// <summary>Refused writes (a deposed copy tried to commit).</summary>
    public int Refusals { get; private set; }

    public TestCoordinator NewCopy(string name)
    {
        var copy = new TestCoordinator(this, name);
        lock (_gate)
        {
            _copies.Add(copy);
        }

        return copy;
    }

    /// <summary>Makes <paramref name="copy"/> the leader with a new term. The old leader is told at once unless <paramref name="tellOldLeader"/> is false (it then still believes it leads: only fencing stops it).</summary>
    public void Elect(TestCoordinator? copy, bool tellOldLeader = true)
    {
        TestCoordinator? old;
        lock (_gate)
        {
            old = Leader;
            Leader = copy;
            Term = copy is null ? 0 : ++_term;
        }

        if (tellOldLeader && old is not null && old != copy)
        {
            old.Believe(0);
        }

        copy?.Believe(Term);
    }

    public string? Read(string key)
    {
        lock (_gate)
        {
            return _documents.TryGetValue(key, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : null;
        }
    }

    internal Dictionary<string, ReadOnlyMemory<byte>> Snapshot()
    {
        lock (_gate)
        {
            return _documents.ToDictionary(d => d.Key, d => (ReadOnlyMemory<byte>)d.Value.ToArray(), StringComparer.Ordinal);
        }
    }

    internal bool Write(TestCoordinator copy, long term, IReadOnlyList<ScalingStateChange> changes)
    {
        List<TestCoordinator> others;
        lock (_gate)
        {
            if (Leader != copy || Term != term)
            {
                Refusals++;
                return false;
            }

            foreach (var change in changes)
            {
                if (change.IsDelete)
                {
                    _documents.Remove(change.Key);
                }
                else
                {
                    _documents[change.Key] = change.Value.ToArray();
                }
            }

            Commits++;
            others = [.. _copies.Where(c => c != copy)];
        }

        others.ForEach(c => c.Fire());
        return true;
    }
}

internal sealed class TestCoordinator(SharedStateStore store, string name) : IScalingGroupCoordinator
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private long _term;

    public string Name { get; } = $"test:{name}";

    public bool IsLeader => Volatile.Read(ref _term) != 0;

    public long Term => Volatile.Read(ref _term);

    public IEndpointSource? InstanceEndpoints => null;

    public List<string> Deregistered { get; } = [];

    public bool Started { get; private set; }

    public bool Stopped { get; private set; }

    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    public ValueTask StartAsync(CancellationToken cancellationToken)
    {
        Started = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        if (store.Leader == this)
        {
            store.Elect(null);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyDictionary<string, ReadOnlyMemory<byte>>> ReadStateAsync(CancellationToken cancellationToken) =>
        new(store.Snapshot());

    public ValueTask<bool> WriteStateAsync(long term, IReadOnlyList<ScalingStateChange> changes, CancellationToken cancellationToken) =>
        new(Term == term && store.Write(this, term, changes));

    public ValueTask DeregisterAsync(ScalingInstance instance, CancellationToken cancellationToken)
    {
        lock (Deregistered)
        {
            Deregistered.Add(instance.Id);
        }

        return ValueTask.CompletedTask;
    }

    internal void Believe(long term)
    {
        Volatile.Write(ref _term, term);
        Fire();
    }

    internal void Fire()
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
    }
}
