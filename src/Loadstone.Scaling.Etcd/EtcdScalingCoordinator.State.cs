using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Etcd;

namespace Loadstone.Scaling.Etcd;

/// <content>The group's state in etcd: read linearizably, written in transactions fenced on the leader's key.</content>
public sealed partial class EtcdScalingCoordinator
{
    // etcd refuses transactions of more than 128 operations (--max-txn-ops); a large change goes in several fenced steps.
    private const int MaxOperationsPerTransaction = 100;

    /// <inheritdoc />
    /// <remarks>A linearizable range read of <c>{Prefix}state/</c>: it sees every write committed before it.</remarks>
    public async ValueTask<IReadOnlyDictionary<string, ReadOnlyMemory<byte>>> ReadStateAsync(CancellationToken cancellationToken)
    {
        var prefix = Prefix + StatePart;
        var start = ByteString.CopyFromUtf8(prefix);
        var end = ByteString.CopyFrom(EtcdConnection.PrefixEnd(start.ToByteArray()));
        var documents = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        long revision = 0;
        var from = start;
        while (true)
        {
            var response = await _requests.KV.RangeAsync(new RangeRequest { Key = from, RangeEnd = end, Limit = 2_000, Revision = revision },
                EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken)).ConfigureAwait(false);
            revision = response.Header.Revision;
            foreach (var kv in response.Kvs)
            {
                documents[kv.Key.ToStringUtf8()[prefix.Length..]] = kv.Value.ToByteArray();
            }

            if (!response.More || response.Kvs.Count == 0)
            {
                return documents;
            }

            from = ByteString.CopyFrom([.. response.Kvs[^1].Key.Span, 0]);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A transaction whose condition is that this copy's candidate key still has the create revision
    /// <paramref name="term"/>: once the lease has expired (or the key was deleted), etcd refuses it.
    /// </remarks>
    public async ValueTask<bool> WriteStateAsync(long term, IReadOnlyList<ScalingStateChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return Fence(term) is { } fence && await CommitAsync(fence, changes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the changes in transactions conditioned on <paramref name="fence"/>; false when etcd refuses (the leader's key is gone).</summary>
    internal async Task<bool> CommitAsync(Compare fence, IReadOnlyList<ScalingStateChange> changes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < changes.Count; i += MaxOperationsPerTransaction)
        {
            var request = new TxnRequest { Compare = { fence } };
            foreach (var change in changes.Skip(i).Take(MaxOperationsPerTransaction))
            {
                var key = ByteString.CopyFromUtf8(Prefix + StatePart + change.Key);
                request.Success.Add(change.IsDelete
                    ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } }
                    : new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(change.Value.Span) } });
            }

            var response = await _requests.KV.TxnAsync(request, EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken)).ConfigureAwait(false);
            if (!response.Succeeded)
            {
                Deposed(fence.CreateRevision);
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    /// <remarks>Deletes <c>{Prefix}instances/{instance id}</c>, the key the instance registered under, in a transaction fenced like a state write.</remarks>
    public async ValueTask DeregisterAsync(ScalingInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (Fence(Term) is not { } fence)
        {
            throw new InvalidOperationException($"Cannot deregister instance {instance.Id}: this copy of scaling group '{GroupName}' does not lead.");
        }

        var key = ByteString.CopyFromUtf8(InstancesPrefix + instance.Id);
        var response = await _requests.KV.TxnAsync(new TxnRequest
        {
            Compare = { fence },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } } },
        }, EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken)).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            Deposed(fence.CreateRevision);
            throw new InvalidOperationException($"Cannot deregister instance {instance.Id}: this copy of scaling group '{GroupName}' was deposed.");
        }

        Log.Deregistered(_logger, Name, instance.Id);
    }

    /// <summary>The condition of every write: this copy's candidate key has the create revision of the term, or <see langword="null"/> when it does not lead that term.</summary>
    internal Compare? Fence(long term)
    {
        lock (_gate)
        {
            if (term == 0 || !IsLeaderCore() || _term != term || _candidateKey is null)
            {
                return null;
            }

            return new Compare
            {
                Key = ByteString.CopyFromUtf8(_candidateKey),
                Target = Compare.Types.CompareTarget.Create,
                Result = Compare.Types.CompareResult.Equal,
                CreateRevision = term,
            };
        }
    }

    /// <summary>etcd refused a fenced write: the candidate key is gone (the lease expired); this copy no longer leads.</summary>
    private void Deposed(long term)
    {
        lock (_gate)
        {
            if (_term != term)
            {
                return;
            }

            _term = 0;
            _announced = false;
            _candidateKey = null;
            _candidateGeneration = 0; // campaign again under the current lease, if it is still alive
        }

        Log.FenceRefused(_logger, Name, ClientId, term);
        _changed.Fire();
        _ = CampaignAsync();
    }
}
