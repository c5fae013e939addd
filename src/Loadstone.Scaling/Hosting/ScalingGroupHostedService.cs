using Microsoft.Extensions.Hosting;

namespace Loadstone.Scaling;

/// <summary>
/// Runs a registered <see cref="ScalingGroup"/> with the host: on start it attaches the service's pool and starts the
/// group (optionally waiting for its capacity); on stop it disposes the group, which stops its instances.
/// </summary>
internal sealed class ScalingGroupHostedService(
    string serviceName,
    ScalingGroup group,
    ServicePoolRegistry registry,
    ScalingGroupRegistrationOptions options) : IHostedService
{
    // A membership change reaches the pool inside the same source update that signals the wait, which may run
    // first; this many yields let that update finish before waiting for the next change.
    private const int MaxYieldsForPool = 1000;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pool = registry.GetPool(serviceName);
        group.AttachPool(pool, options.UseBalancerHealth);
        group.Start();
        await pool.InitializeAsync(cancellationToken).ConfigureAwait(false);
        if (options.WaitForCapacityTimeout > TimeSpan.Zero)
        {
            var time = group.Time;
            try
            {
                await WaitForCapacityAsync(pool, cancellationToken).WaitAsync(options.WaitForCapacityTimeout, time, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(
                    $"Scaling group '{serviceName}' did not reach its desired capacity ({group.DesiredCapacity}) in service within " +
                    $"WaitForCapacityTimeout ({options.WaitForCapacityTimeout}); {InServiceCount()} in service. See its Activities for why.", ex);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => group.DisposeAsync().AsTask().WaitAsync(cancellationToken);

    private async Task WaitForCapacityAsync(ServicePool pool, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (group.EndpointSource.GetChangeToken()?.RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), changed))
            {
                if (await HasCapacityAsync(pool).ConfigureAwait(false))
                {
                    return;
                }

                await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> HasCapacityAsync(ServicePool pool)
    {
        var inService = group.Instances.Where(i => i.State == ScalingInstanceState.InService).Select(i => i.Endpoint!.Id).ToList();
        if (inService.Count < group.DesiredCapacity)
        {
            return false;
        }

        for (var i = 0; i < MaxYieldsForPool; i++)
        {
            var routed = pool.Endpoints.Select(e => e.Endpoint.Id).ToHashSet(StringComparer.Ordinal);
            if (inService.All(routed.Contains))
            {
                return true;
            }

            await Task.Yield();
        }

        return false;
    }

    private int InServiceCount() => group.Instances.Count(i => i.State == ScalingInstanceState.InService);
}
