using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portico.Telemetry;

/// <summary>
/// Writes access log lines off the request path: requests put entries on a bounded queue (never waiting; a full
/// queue drops the line and counts it), one background loop turns them into JSON lines and writes them in batches
/// to the file (appended; opened at start) or to stdout. Stopped after the server, so the lines of the requests
/// served before a clean stop are all written, flushed and the file closed.
/// </summary>
internal sealed partial class AccessLogWriter : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The lines the queue holds before new ones are dropped.</summary>
    public const int DefaultCapacity = 16384;

    // A batch is written once this much is buffered or the queue is empty.
    const int BatchBytes = 64 * 1024;

    // The default encoder escapes control characters, quotes and every non-ASCII character: a line stays one line
    // of plain ASCII whatever a client put in its path or method.
    static readonly JsonWriterOptions Json = new() { Indented = false };

    readonly Channel<AccessLogEntry> _queue;
    readonly Stream? _output;
    // The metrics are the container's (not disposed here): only their drop counter is kept.
    readonly Action<long> _dropped;
    readonly TimeProvider _time;
    readonly ILogger _logger;
    readonly Http.LogThrottle _dropLog = new(Http.LogThrottle.Default);
    readonly Http.LogThrottle _writeFailedLog = new(Http.LogThrottle.Default);
    readonly Task _drain;

    /// <param name="output">Where the lines go: a stream (the file) or null for stdout.</param>
    public AccessLogWriter(Stream? output, EdgeMetrics metrics, TimeProvider time, ILogger<AccessLogWriter> logger, int capacity = DefaultCapacity)
    {
        _output = output;
        _dropped = metrics.AccessLogDropped;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _drain = Task.Run(DrainAsync);
    }

    /// <summary>
    /// Opens the output of telemetry.accessLog: "stdout", or a file (a relative path is taken from
    /// <paramref name="baseDirectory"/>, the config file's), created if missing and appended to.
    /// </summary>
    public static AccessLogWriter Open(string output, string baseDirectory, EdgeMetrics metrics, TimeProvider time, ILogger<AccessLogWriter> logger)
    {
        if (output == Configuration.AccessLogDefinition.Stdout) return new AccessLogWriter(null, metrics, time, logger);
        var path = Path.GetFullPath(Path.Combine(baseDirectory, output));
        FileStream file;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Our own batches are the buffer; others may read (tail) the file, and rotate it away.
            file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"telemetry.accessLog.output: '{path}' cannot be opened for appending ({ex.Message}); write stdout or a path the gateway may write.", ex);
        }
        return new AccessLogWriter(file, metrics, time, logger);
    }

    /// <summary>Queues a line; never waits. A full queue (or a stopped writer) drops it, counted and logged (throttled).</summary>
    public bool TryWrite(AccessLogEntry entry)
    {
        if (_queue.Writer.TryWrite(entry)) return true;
        _dropped(1);
        if (_dropLog.TryEnter(_time, out var count)) LogDropped(_logger, count);
        return false;
    }

    async Task DrainAsync()
    {
        var reader = _queue.Reader;
        var buffer = new ArrayBufferWriter<byte>(BatchBytes + 4096);
        using var json = new Utf8JsonWriter(buffer, Json);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (buffer.WrittenCount < BatchBytes && reader.TryRead(out var entry))
            {
                // Text that is no valid UTF-16 (a lone surrogate) is written as U+FFFD: no line is ever refused.
                Write(json, entry);
                json.Flush();
                json.Reset();
                buffer.Write("\n"u8);
            }
            Flush(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }
    }

    /// <summary>Writes a batch of whole lines with one call.</summary>
    void Flush(ReadOnlySpan<byte> lines)
    {
        try
        {
            if (_output is not null)
            {
                _output.Write(lines);
                _output.Flush();
            }
            else
            {
                // The console logger writes each message with one Console.Out.Write, which is synchronized: one
                // Write of whole lines here can land before or after a log message, never inside it.
                Console.Out.Write(Encoding.UTF8.GetString(lines));
                Console.Out.Flush();
            }
        }
        catch (IOException ex)
        {
            if (_writeFailedLog.TryEnter(_time, out var count)) LogWriteFailed(_logger, count, ex);
        }
    }

    /// <summary>One line of the schema (docs/observability.md): every field present, null when unknown.</summary>
    public static void Write(Utf8JsonWriter json, AccessLogEntry e)
    {
        json.WriteStartObject();
        Span<char> time = stackalloc char[32];
        e.Timestamp.UtcDateTime.TryFormat(time, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        json.WriteString("timestamp", time[..written]);
        String(json, "gateway", e.Gateway);
        String(json, "route", e.Route);
        json.WriteString("method", e.Method);
        json.WriteString("path", e.Path);
        json.WriteNumber("status", e.Status);
        json.WriteNumber("duration_ms", Math.Round(e.DurationMs, 3));
        String(json, "service", e.Service);
        String(json, "destination", e.Destination);
        if (e.UpstreamStatus is { } upstream) json.WriteNumber("upstream_status", upstream);
        else json.WriteNull("upstream_status");
        json.WriteNumber("bytes_in", e.BytesIn);
        json.WriteNumber("bytes_out", e.BytesOut);
        String(json, "client_address", e.ClientAddress);
        String(json, "consumer_id", e.ConsumerId);
        String(json, "auth_scheme", e.AuthScheme);
        String(json, "trace_id", e.TraceId);
        String(json, "request_id", e.RequestId);
        String(json, "cache", e.Cache);
        String(json, "rate_limit", e.RateLimit);
        String(json, "error_type", e.ErrorType);
        json.WriteEndObject();
    }

    static void String(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every other service stopped (the server too, so no request is running): writes what is queued, then closes.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => CloseAsync();

    async Task CloseAsync()
    {
        _queue.Writer.TryComplete();
        await _drain.ConfigureAwait(false);
        if (_output is not null) await _output.DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(CloseAsync());

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Access log queue full: {Count} lines dropped (see portico.access_log.dropped)")]
    static partial void LogDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Access log lines could not be written ({Count} batches since the last line)")]
    static partial void LogWriteFailed(ILogger logger, long count, Exception exception);
}
