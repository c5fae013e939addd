using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loadstone.Dashboard;

/// <summary>
/// Keeps the library's log events (its state changes: ejections, fail-open, health) for the dashboard. The scaling
/// group's own logs are left out: its panel shows the same activities.
/// </summary>
internal sealed class EventFeed(DateTimeOffset start) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _events = new();

    public DateTimeOffset Start { get; } = start;

    public int Total => _events.Count;

    public IReadOnlyList<string> Latest(int count) => _events.Reverse().Take(count).Reverse().ToArray();

    public ILogger CreateLogger(string categoryName) =>
        new Logger(this, categoryName.StartsWith("Loadstone", StringComparison.Ordinal)
            && !categoryName.StartsWith("Loadstone.ScalingGroup", StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private void Add(string message) => _events.Enqueue(message);

    private sealed class Logger(EventFeed feed, bool enabled) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => enabled && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var at = (DateTimeOffset.UtcNow - feed.Start).TotalSeconds;
                feed.Add(FormattableString.Invariant($"{at,5:0.0}s {eventId.Name}: {formatter(state, exception)}"));
            }
        }
    }
}
