using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Loadstone;

/// <summary>
/// Reports the health of every pool created so far, for ASP.NET Core health endpoints: Unhealthy when a pool has no
/// endpoint that can take traffic, Degraded when one fails open or has fewer healthy endpoints than the threshold.
/// </summary>
internal sealed class ServicePoolHealthCheck(ServicePoolRegistry registry, int degradedBelowPercent) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var status = HealthStatus.Healthy;
        var problems = new List<string>();
        foreach (var pool in registry.Pools)
        {
            var snapshot = pool.Snapshot;
            var members = snapshot.MemberCount;
            var healthy = snapshot.HealthyCount;
            data[pool.ServiceName] = $"{healthy}/{members} healthy{(snapshot.FailOpen ? ", failing open" : string.Empty)}";
            if (snapshot.Candidates.Count == 0)
            {
                status = HealthStatus.Unhealthy;
                problems.Add($"'{pool.ServiceName}' has no endpoint that can take traffic");
            }
            else if (snapshot.FailOpen || healthy * 100 < degradedBelowPercent * members)
            {
                status = status == HealthStatus.Unhealthy ? status : HealthStatus.Degraded;
                problems.Add($"'{pool.ServiceName}' has {healthy} of {members} endpoints healthy{(snapshot.FailOpen ? " and is failing open" : string.Empty)}");
            }
        }

        var description = problems.Count == 0 ? "Every load-balanced service has healthy endpoints." : string.Join("; ", problems) + ".";
        return Task.FromResult(new HealthCheckResult(status, description, data: data));
    }
}
