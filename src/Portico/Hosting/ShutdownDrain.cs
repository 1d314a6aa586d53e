using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portico.Hosting;

/// Logs the graceful drain on shutdown. The host stops this service's neighbours, Kestrel among them, between
/// StoppingAsync and StoppedAsync: Kestrel stops accepting, lets running requests finish up to the host's
/// ShutdownTimeout (server.shutdownTimeout) and then aborts what is left.
internal sealed partial class ShutdownDrain(InFlightRequests inFlight, TimeSpan timeout, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    long _started;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _started = Stopwatch.GetTimestamp();
        LogDraining(logger, inFlight.Count, timeout);
        return Task.CompletedTask;
    }

    /// <param name="cancellationToken">Cancelled when the shutdown timeout ran out before the server stopped.</param>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        var elapsedMs = (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
        if (cancellationToken.IsCancellationRequested) LogCut(logger, timeout, inFlight.Count);
        else LogDrained(logger, elapsedMs);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Shutting down: no new connections; draining {Count} in-flight requests, up to {Timeout}")]
    static partial void LogDraining(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Shutdown drain complete in {ElapsedMs} ms: every in-flight request finished")]
    static partial void LogDrained(ILogger logger, long elapsedMs);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Shutdown timeout of {Timeout} reached: requests still running were cut ({Count} in flight when the server stopped)")]
    static partial void LogCut(ILogger logger, TimeSpan timeout, int count);
}
