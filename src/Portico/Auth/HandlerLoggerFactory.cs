using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portico.Auth;

/// The logger factory given to Portico's authentication handlers. ASP.NET creates a handler per request and each
/// asks for its logger in its constructor; the framework's factory takes a lock for every such call, which
/// concurrent requests contend on. Loggers are kept here per category instead (a handful: one per handler type).
internal sealed class HandlerLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, factory) => factory.CreateLogger(name), inner);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The application's factory belongs to the host, which disposes it.
    public void Dispose()
    {
    }
}
