using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Discovery.Etcd;
using Loadstone.Etcd;

namespace Loadstone.Scaling.Etcd;

/// <content>The fleet: every client's load report under its lease, and the instances' registrations.</content>
public sealed partial class EtcdScalingCoordinator
{
    private static readonly TimeSpan s_registrationPoll = TimeSpan.FromMilliseconds(50);
    private CancellationTokenSource? _reporting;
    private Task _reportLoop = Task.CompletedTask;

    /// <summary>
    /// Publishes the load of this client's pool (its <see cref="PoolLoadMeter"/> measurement) every
    /// <see cref="EtcdScalingOptions.ReportInterval"/>, under this client's lease, until the coordinator is disposed.
    /// <c>UseEtcdCoordination</c> starts it with the host.
    /// </summary>
    /// <param name="pool">This client's pool of the group's service.</param>
    /// <exception cref="InvalidOperationException">Already reporting.</exception>
    public void ReportFrom(ServicePool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var meter = new PoolLoadMeter(pool, _time);
        lock (_gate)
        {
            if (_reporting is not null)
            {
                throw new InvalidOperationException($"The coordinator of scaling group '{GroupName}' already reports a pool's load.");
            }

            _reporting = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var token = _reporting.Token;
            _reportLoop = Task.Run(() => ReportLoopAsync(meter, token));
        }
    }

    /// <summary>Publishes one report of this client's load, under its lease; nothing when it holds no lease.</summary>
    /// <param name="report">What this client's pool measured.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns><see langword="false"/> when no lease is held (the report was not published).</returns>
    public async Task<bool> PublishAsync(BalancerReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var lease = _session.LeaseId;
        if (lease == 0)
        {
            return false;
        }

        var value = JsonSerializer.SerializeToUtf8Bytes(LoadReportDocument.From(report), ScalingEtcdJson.Default.LoadReportDocument);
        await _requests.KV.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + LoadPart + ClientId), Value = ByteString.CopyFrom(value), Lease = lease },
            EtcdConnection.Deadline(_options.RequestTimeout, cancellationToken)).ConfigureAwait(false);
        return true;
    }

    /// <summary>Whether the registrations have been read at least once and the watch is live.</summary>
    internal bool RegistrationsKnown => _mirror.IsSynced;

    /// <summary>The endpoint an instance registered, or <see langword="null"/> when it has no (valid) registration.</summary>
    internal LoadBalancedEndpoint? Registration(string instanceId)
    {
        if (_mirror.Get(InstancesPrefix + instanceId) is not { } entry)
        {
            return null;
        }

        try
        {
            return EtcdEndpointDocument.Parse(entry.Value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Waits until an instance has registered, at most until <paramref name="until"/> (on this coordinator's clock), or until <paramref name="gaveUp"/> says so.</summary>
    internal async Task<LoadBalancedEndpoint?> WaitForRegistrationAsync(string instanceId, DateTimeOffset until, Func<bool> gaveUp, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Registration(instanceId) is { } endpoint)
            {
                return endpoint;
            }

            if (_time.GetUtcNow() >= until || gaveUp())
            {
                return null;
            }

            await Task.Delay(s_registrationPoll, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The clock the coordinator (and the launcher that uses its registrations) runs on.</summary>
    internal TimeProvider Time => _time;

    private async Task ReportLoopAsync(PoolLoadMeter meter, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.ReportInterval, _time);
        try
        {
            do
            {
                try
                {
                    await PublishAsync(meter.Measure(), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // The next report tries again; a stale one expires with the lease.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.ReportFailed(_logger, Name, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task StopReportingAsync()
    {
        CancellationTokenSource? reporting;
        Task loop;
        lock (_gate)
        {
            reporting = _reporting;
            loop = _reportLoop;
        }

        if (reporting is not null)
        {
            await reporting.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            reporting.Dispose();
        }
    }

    private void OnLoadReport(string key, string clientId)
    {
        if (_mirror.Get(key) is not { } entry)
        {
            FleetLoad.Remove(clientId); // the client left, or its lease expired
            return;
        }

        try
        {
            var document = JsonSerializer.Deserialize(entry.Value, ScalingEtcdJson.Default.LoadReportDocument);
            if (document is not null)
            {
                FleetLoad.Report(clientId, document.ToReport());
            }
        }
        catch (JsonException ex)
        {
            Log.ReportRejected(_logger, Name, key, ex.Message);
        }
    }
}
