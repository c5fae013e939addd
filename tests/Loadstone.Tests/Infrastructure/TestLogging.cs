using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests;

/// <summary>
/// The suite's recording-logger kit, on Microsoft.Extensions.Diagnostics.Testing: a test holds a
/// <see cref="FakeLogCollector"/> and plugs it in as a provider (<see cref="AddRecording"/>), as a logger factory
/// (<see cref="CreateFactory"/>) or as one logger (<see cref="FakeLogger"/>); these members read it the way the tests ask.
/// </summary>
internal static class TestLogging
{
    /// <summary>Sends every entry, at every level the builder lets through, to <paramref name="logs"/>.</summary>
    public static ILoggingBuilder AddRecording(this ILoggingBuilder builder, FakeLogCollector logs) =>
        builder.AddProvider(new FakeLoggerProvider(logs));

    /// <summary>A logger factory that writes every level (Trace and up) to <paramref name="logs"/>.</summary>
    public static ILoggerFactory CreateFactory(this FakeLogCollector logs) =>
        LoggerFactory.Create(b => b.AddRecording(logs).SetMinimumLevel(LogLevel.Trace));

    extension(FakeLogCollector logs)
    {
        /// <summary>Every entry so far, in order.</summary>
        public IReadOnlyList<FakeLogRecord> Entries => logs.GetSnapshot();

        /// <summary>The library's own entries (categories <c>Loadstone.*</c>).</summary>
        public IReadOnlyList<FakeLogRecord> Library =>
            logs.GetSnapshot().Where(e => e.Category?.StartsWith("Loadstone.", StringComparison.Ordinal) == true).ToArray();

        /// <summary>How many entries carry the event named <paramref name="eventName"/>.</summary>
        public int CountOf(string eventName) => logs.GetSnapshot().Count(e => e.Id.Name == eventName);

        /// <summary>Completes with the first entry that matches, written before or after the call; fails after <paramref name="timeout"/>.</summary>
        public async Task<FakeLogRecord> WaitForAsync(Func<FakeLogRecord, bool> match, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await foreach (var entry in logs.GetLogsAsync(cancel.Token))
                {
                    if (match(entry))
                    {
                        return entry;
                    }
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
            }

            throw new TimeoutException($"No matching log entry within {timeout}; entries: {string.Join(" | ", logs.GetSnapshot().Select(e => e.Message))}");
        }
    }

    extension(FakeLogRecord entry)
    {
        /// <summary>The entry's <c>Service</c> value (the library's entries name their service), or null.</summary>
        public string? Service =>
            entry.State is IEnumerable<KeyValuePair<string, string?>> pairs ? pairs.FirstOrDefault(p => p.Key == "Service").Value : null;
    }
}
