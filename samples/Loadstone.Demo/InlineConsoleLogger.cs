using Microsoft.Extensions.Logging;

namespace Loadstone.Demo;

/// <summary>
/// Writes Loadstone's log events straight to the console, in line with the demo's tables (the stock console logger
/// writes from a background queue, so its lines would land between table rows).
/// </summary>
internal sealed class InlineConsoleLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new InlineConsoleLogger();

    public void Dispose()
    {
    }

    private sealed class InlineConsoleLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine($"    log {logLevel} {eventId.Name}({eventId.Id}): {formatter(state, exception)}");
            }
        }
    }
}
