namespace Loadstone;

/// <summary>A point-in-time view of a pool, from <see cref="ServicePool.GetStatus"/>.</summary>
/// <param name="ServiceName">The logical service.</param>
/// <param name="Strategy">The strategy in use.</param>
/// <param name="IsFailingOpen">Whether the pool routes to all endpoints because too few are healthy.</param>
/// <param name="Endpoints">Every endpoint: members in source order, then draining ones.</param>
public sealed record ServicePoolStatus(string ServiceName, string Strategy, bool IsFailingOpen, IReadOnlyList<EndpointStatus> Endpoints)
{
    /// <summary>
    /// The "explain" view as indented JSON: the pool and, for each endpoint, address, zone, weight, state, reason, whether
    /// it is routable and why (note), slow-start factor, in-flight requests, latency (ms), counters, the recent failure
    /// rate, ejections and any Retry-After. Field names are stable camelCase.
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
                json.WriteBoolean("routable", e.IsRoutable);
                json.WriteString("note", e.Note.ToString());
                json.WriteNumber("weightFactor", Math.Round(e.WeightFactor, 4));
                json.WriteNumber("activeRequests", e.ActiveRequests);
                json.WriteNumber("latencyMs", Math.Round(e.Latency.TotalMilliseconds, 3));
                json.WriteNumber("totalRequests", e.TotalRequests);
                json.WriteNumber("failedRequests", e.FailedRequests);
                json.WriteNumber("recentFailureRate", Math.Round(e.RecentFailureRate, 4));
                json.WriteNumber("ejections", e.Ejections);
                if (e.EjectedUntil is { } until)
                {
                    json.WriteString("ejectedUntil", until);
                }

                if (e.RetryAfterUntil is { } retryAfter)
                {
                    json.WriteString("retryAfterUntil", retryAfter);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>Builds the status of one endpoint from its live state and the snapshot it is in.</summary>
internal static class EndpointStatusView
{
    /// <param name="state">The endpoint's state.</param>
    /// <param name="snapshot">The snapshot it was read from.</param>
    /// <param name="isMember">Whether it is a member (not draining).</param>
    /// <param name="now">The pool's time.</param>
    /// <param name="timestamp">The pool's clock, as a timestamp (for Retry-After).</param>
    /// <param name="interval">Outlier detection's interval: how long a refused or unenforced decision is shown.</param>
    /// <param name="time">The pool's clock.</param>
    public static EndpointStatus Of(EndpointState state, PoolSnapshot snapshot, bool isMember, DateTimeOffset now, long timestamp,
        TimeSpan interval, TimeProvider time)
    {
        var healthy = state.IsRoutable;
        var routable = isMember && state.Endpoint.Weight > 0 && (healthy || snapshot.FailOpen || state.InFailingOpenZone);
        DateTimeOffset? retryAfter = state.RetryAfterUntil > timestamp
            ? now + TimeSpan.FromSeconds((double)(state.RetryAfterUntil - timestamp) / time.TimestampFrequency)
            : null;
        var note = !isMember ? EndpointRoutingNote.None
            : retryAfter is not null && routable ? EndpointRoutingNote.RetryAfter
            : !healthy && routable ? (snapshot.FailOpen ? EndpointRoutingNote.PoolFailingOpen : EndpointRoutingNote.ZoneFailingOpen)
            : state.OutlierNote == EndpointRoutingNote.EjectedBeyondMaxEjectionPercent && state.EjectedUntil is not null ? state.OutlierNote
            : state.OutlierNote is not (EndpointRoutingNote.None or EndpointRoutingNote.EjectedBeyondMaxEjectionPercent)
                && state.EjectedUntil is null && now - state.OutlierNoteAt < interval ? state.OutlierNote
            : routable && (state.RecentFailureRate >= 0.5 || state.FailureStreak > 0) ? EndpointRoutingNote.RecentlyFailing
            : EndpointRoutingNote.None;
        return new EndpointStatus(state.Endpoint, state.Health, state.HealthReason, state.ActiveRequests, state.TotalRequests,
            state.FailedRequests, state.Latency, state.WeightFactor, state.EjectionCount, state.EjectedUntil, routable, note, retryAfter,
            state.RecentFailureRate);
    }
}
