using System.Diagnostics;

namespace Loadstone.LoadLab;

/// <summary>The figures of one measured run of one client kind.</summary>
internal sealed class RunResult
{
    public required string Kind { get; init; }

    public required int Round { get; init; }

    /// <summary>The condition the run was measured under (e.g. healthy / one-slow); empty when the scenario has one.</summary>
    public string Condition { get; init; } = "";

    public required long Requests { get; init; }

    public required long Errors { get; init; }

    public required double Seconds { get; init; }

    /// <summary>
    /// The latencies reported: for closed-loop runs corrected for coordinated omission (see
    /// <see cref="LoadRunner.RunAsync"/>), for fixed-rate runs as measured.
    /// </summary>
    public required LatencyHistogram Histogram { get; init; }

    /// <summary>The latencies as measured, one value per request, without any correction.</summary>
    public required LatencyHistogram RawHistogram { get; init; }

    public double Throughput => Seconds > 0 ? Requests / Seconds : 0;

    /// <summary>Scenario-specific extra figures (ejection times, zone shares...).</summary>
    public Dictionary<string, double> Extra { get; } = [];
}

/// <summary>
/// A closed-loop load: a fixed number of workers, each sending its next request when the previous one ends, bounded
/// by a duration and by a total request count.
/// </summary>
internal static class LoadRunner
{
    /// <summary>Sends requests; returns whether the request succeeded (a 2xx answer).</summary>
    public delegate ValueTask<bool> Send(CancellationToken cancellationToken);

    /// <summary>Runs a warm-up (not measured), then the measured load.</summary>
    /// <remarks>
    /// A closed-loop worker does not send while it waits, so a stall hides the requests it would have sent meanwhile
    /// (coordinated omission). The reported histogram is corrected for it with HdrHistogram's
    /// <c>RecordValueWithExpectedInterval</c>, the expected interval being the run's median measured latency: the pace
    /// at which a worker sends when nothing stalls (its next request follows the previous answer at once). The
    /// uncorrected latencies are kept in <see cref="RunResult.RawHistogram"/>.
    /// </remarks>
    public static async Task<RunResult> RunAsync(string kind, string condition, int round, Send send, int concurrency, TimeSpan warmup,
        TimeSpan duration, long maxRequests, CancellationToken cancellationToken, Func<TimeSpan, Task>? during = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        if (warmup > TimeSpan.Zero)
        {
            await DriveAsync(send, concurrency, warmup, Math.Max(1, maxRequests / 4), cancellationToken).ConfigureAwait(false);
        }

        var start = Stopwatch.GetTimestamp();
        var sideTask = during?.Invoke(duration) ?? Task.CompletedTask;
        var (raw, requests, errors) = await DriveAsync(send, concurrency, duration, maxRequests, cancellationToken).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await sideTask.ConfigureAwait(false);
        var corrected = raw.CorrectedForCoordinatedOmission(raw.PercentileMicros(50));
        return new RunResult
        {
            Kind = kind, Condition = condition, Round = round, Requests = requests, Errors = errors, Seconds = seconds,
            Histogram = corrected, RawHistogram = raw,
        };
    }

    /// <summary>
    /// An open-loop load: <paramref name="callers"/> callers each send at a fixed rate (together
    /// <paramref name="requestsPerSecond"/>), whether or not earlier requests have answered, for <paramref name="duration"/>.
    /// No warm-up: the runs that use it measure a fresh client from its first request. Callers do not wait for answers
    /// before sending, so there is no coordinated omission to correct: the histogram is as measured.
    /// </summary>
    public static async Task<RunResult> RunFixedRateAsync(string kind, string condition, int round, Send send, int callers, double requestsPerSecond,
        TimeSpan duration, CancellationToken cancellationToken, Func<TimeSpan, Task>? during = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        var start = Stopwatch.GetTimestamp();
        var sideTask = during?.Invoke(duration) ?? Task.CompletedTask;
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var interval = callers / requestsPerSecond * Stopwatch.Frequency;
        long errors = 0;
        var histograms = new LatencyHistogram[callers];
        var callerTasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            var histogram = histograms[c] = new LatencyHistogram();
            var offset = interval * c / callers;
            callerTasks[c] = Task.Run(async () =>
            {
                var outstanding = new List<Task>();
                for (var k = 0L; ; k++)
                {
                    var due = start + (long)(offset + (k * interval));
                    if (due >= end || cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    }

                    outstanding.Add(Measure());
                }

                await Task.WhenAll(outstanding).ConfigureAwait(false);

                async Task Measure()
                {
                    var begin = Stopwatch.GetTimestamp();
                    bool ok;
                    try
                    {
                        ok = await send(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        ok = false;
                    }

                    var micros = (Stopwatch.GetTimestamp() - begin) * 1_000_000 / Stopwatch.Frequency;
                    lock (histogram)
                    {
                        histogram.Record(micros);
                    }

                    if (!ok)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }, cancellationToken);
        }

        await Task.WhenAll(callerTasks).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await sideTask.ConfigureAwait(false);
        var total = new LatencyHistogram();
        foreach (var h in histograms)
        {
            total.Add(h);
        }

        return new RunResult { Kind = kind, Condition = condition, Round = round, Requests = total.Count, Errors = Interlocked.Read(ref errors), Seconds = seconds, Histogram = total, RawHistogram = total };
    }

    private static async Task<(LatencyHistogram, long, long)> DriveAsync(Send send, int concurrency, TimeSpan duration,
        long maxRequests, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long issued = 0;
        long errors = 0;
        var histograms = new LatencyHistogram[concurrency];
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var histogram = histograms[w] = new LatencyHistogram();
            workers[w] = Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline
                    && Interlocked.Increment(ref issued) <= maxRequests)
                {
                    var begin = Stopwatch.GetTimestamp();
                    bool ok;
                    try
                    {
                        ok = await send(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception)
                    {
                        ok = false;
                    }

                    var end = Stopwatch.GetTimestamp();
                    histogram.Record((end - begin) * 1_000_000 / Stopwatch.Frequency);
                    if (!ok)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }, cancellationToken);
        }

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        cancellationToken.ThrowIfCancellationRequested();
        var total = new LatencyHistogram();
        foreach (var h in histograms)
        {
            total.Add(h);
        }

        return (total, total.Count, Interlocked.Read(ref errors));
    }
}
