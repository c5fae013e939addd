namespace Loadstone.Dashboard;

/// <summary>Sends GETs at a changeable rate, at most 100 in flight, and counts what the caller saw.</summary>
internal sealed class LoadGenerator(HttpClient client, int requestsPerSecond)
{
    private long _succeeded;
    private long _failed;

    public int RequestsPerSecond { get; set; } = requestsPerSecond;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Failed => Interlocked.Read(ref _failed);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(100);
        var calls = new List<Task>();
        try
        {
            var sent = 0L;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var rateSince = TimeSpan.Zero;
            var rate = RequestsPerSecond;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (rate != RequestsPerSecond)
                {
                    rate = RequestsPerSecond;
                    rateSince = clock.Elapsed;
                    sent = 0;
                }

                // Send what the rate allows since it was set, then wait a little.
                var due = (long)((clock.Elapsed - rateSince).TotalSeconds * rate);
                for (; sent < due; sent++)
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    calls.Add(SendAsync(slots, cancellationToken));
                }

                calls.RemoveAll(t => t.IsCompleted);
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async Task SendAsync(SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetAsync(new Uri("/items", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _succeeded : ref _failed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or NoAvailableEndpointException)
        {
            Interlocked.Increment(ref _failed);
        }
        finally
        {
            slots.Release();
        }
    }
}
