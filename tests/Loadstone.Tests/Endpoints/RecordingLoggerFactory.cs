using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loadstone.Tests.Endpoints;

/// <summary>Keeps every log entry, so a test can wait for the pool to say it handled an update.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public int Count(string eventName) => Entries.Count(e => e.Id.Name == eventName);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((eventId, logLevel, formatter(state, exception), exception));
    }
}
