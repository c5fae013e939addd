namespace Loadstone;

/// <summary>A point-in-time view of a pool, from <see cref="ServicePool.GetStatus"/>.</summary>
/// <param name="ServiceName">The logical service.</param>
/// <param name="Strategy">The strategy in use.</param>
/// <param name="IsFailingOpen">Whether the pool routes to all endpoints because too few are healthy.</param>
/// <param name="Endpoints">Every endpoint: members in source order, then draining ones.</param>
public sealed record ServicePoolStatus(string ServiceName, string Strategy, bool IsFailingOpen, IReadOnlyList<EndpointStatus> Endpoints)
{
    /// <summary>
    /// The "explain" view as indented JSON: the pool and, for each endpoint, address, zone, weight, state, reason,
    /// slow-start factor, in-flight requests, latency (ms), counters and ejections. Field names are stable camelCase.
    /// </summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("service", ServiceName);
            json.WriteString("strategy", Strategy);
            json.WriteBoolean("failingOpen", IsFailingOpen);
            json.WriteStartArray("endpoints");
            foreach (var e in Endpoints)
            {
                json.WriteStartObject();
                json.WriteString("address", e.Endpoint.BaseAddress);
                json.WriteString("zone", e.Endpoint.Zone);
                json.WriteNumber("weight", e.Endpoint.Weight);
                json.WriteString("health", e.Health.ToString());
                json.WriteString("reason", e.Reason.ToString());
                json.WriteNumber("weightFactor", Math.Round(e.WeightFactor, 4));
                json.WriteNumber("activeRequests", e.ActiveRequests);
                json.WriteNumber("latencyMs", Math.Round(e.Latency.TotalMilliseconds, 3));
                json.WriteNumber("totalRequests", e.TotalRequests);
                json.WriteNumber("failedRequests", e.FailedRequests);
                json.WriteNumber("ejections", e.Ejections);
                if (e.EjectedUntil is { } until)
                {
                    json.WriteString("ejectedUntil", until);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>One endpoint's state at a point in time.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Health">Its state.</param>
/// <param name="Reason">Why it is in that state.</param>
/// <param name="ActiveRequests">Requests in flight.</param>
/// <param name="TotalRequests">Requests completed since it joined (caller cancellations excepted).</param>
/// <param name="FailedRequests">Of those, failures.</param>
/// <param name="Latency">The peak-EWMA latency.</param>
/// <param name="WeightFactor">The slow-start multiplier of its weight, 0 to 1 (1 outside slow start).</param>
/// <param name="Ejections">How many times outlier detection has ejected it.</param>
/// <param name="EjectedUntil">When the current ejection ends; <see langword="null"/> when not ejected.</param>
public readonly record struct EndpointStatus(
    LoadBalancedEndpoint Endpoint,
    EndpointHealth Health,
    EndpointHealthReason Reason,
    int ActiveRequests,
    long TotalRequests,
    long FailedRequests,
    TimeSpan Latency,
    double WeightFactor,
    int Ejections,
    DateTimeOffset? EjectedUntil);
