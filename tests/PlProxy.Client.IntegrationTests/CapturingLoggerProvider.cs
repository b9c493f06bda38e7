using Microsoft.Extensions.Logging;

namespace PlProxy.Client.IntegrationTests;

/// <summary>A logger factory that keeps every event: its ID and all its text (message, structured values, exception).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public List<(int EventId, string Text)> Entries { get; } = [];

    /// <summary>Each event's ID, level and category, in the order logged.</summary>
    public List<(int EventId, LogLevel Level, string Category)> Levels { get; } = [];

    /// <summary>The categories of the events logged (for instance Npgsql's own).</summary>
    public HashSet<string> Categories { get; } = [];

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lock (provider.Entries)
            {
                provider.Entries.Add((eventId.Id, $"{formatter(state, exception)} {values} {exception}"));
                provider.Categories.Add(category);
                provider.Levels.Add((eventId.Id, logLevel, category));
            }
        }
    }
}
