using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.Telemetry;

namespace Portico.Tests.Telemetry;

public sealed class AccessLogWriterTests : IDisposable
{
    readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    readonly EdgeMetrics _metrics;

    public AccessLogWriterTests() => _metrics = new EdgeMetrics(_services.GetRequiredService<IMeterFactory>());

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }

    static AccessLogEntry Entry(string path = "/orders/1", string method = "GET") => new()
    {
        Timestamp = new DateTimeOffset(2026, 12, 7, 22, 0, 1, 234, TimeSpan.FromHours(2)),
        Gateway = "edge",
        Route = "orders",
        Method = method,
        Path = path,
        Status = 200,
        DurationMs = 12.34567,
        Service = "api",
        Destination = "http://10.0.0.1:8080",
        UpstreamStatus = 200,
        BytesIn = 5,
        BytesOut = 42,
        ClientAddress = "192.0.2.7",
        ConsumerId = "shop",
        AuthScheme = "apikey",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        RequestId = "req-1",
        Cache = "miss",
        RateLimit = "admitted",
        ErrorType = null,
    };

    static string Line(AccessLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer)) AccessLogWriter.Write(json, entry);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    long Dropped(Action act)
    {
        long dropped = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == _services.GetRequiredService<IMeterFactory>() && instrument.Name == "portico.access_log.dropped") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();
        act();
        return Interlocked.Read(ref dropped);
    }

    [Fact]
    public void Write_Entry_EveryFieldUnderItsNameInUtc()
    {
        var line = JsonDocument.Parse(Line(Entry())).RootElement;

        line.EnumerateObject().Select(p => p.Name).ShouldBe(["timestamp", "gateway", "route", "method", "path", "status", "duration_ms", "service",
            "destination", "upstream_status", "bytes_in", "bytes_out", "client_address", "consumer_id", "auth_scheme", "trace_id", "request_id",
            "cache", "rate_limit", "error_type"]);
        line.GetProperty("timestamp").GetString().ShouldBe("2026-12-07T20:00:01.234Z");
        line.GetProperty("duration_ms").GetDouble().ShouldBe(12.346);
        line.GetProperty("upstream_status").GetInt32().ShouldBe(200);
        line.GetProperty("error_type").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("/a\r\nb")]
    [InlineData("/\"},{\"status\":200")]
    [InlineData("/caf\u00e9\u2028\u2029")]
    [InlineData("/\u001b[31mred\0")]
    [InlineData("/<script>&'")]
    public void Write_HostileText_OneAsciiLineThatReadsBackTheSame(string path)
    {
        var text = Line(Entry(path, method: "G\nET"));

        text.ShouldNotContain('\n');
        text.ShouldNotContain('\r');
        text.ShouldAllBe(c => c >= 0x20 && c < 0x7F);
        var line = JsonDocument.Parse(text).RootElement;
        line.GetProperty("path").GetString().ShouldBe(path);
        line.GetProperty("method").GetString().ShouldBe("G\nET");
    }

    [Fact]
    public async Task DisposeAsync_AfterLinesQueued_AllWrittenAsWholeLines()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(new KeepOpen(output), _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance);

        for (var i = 0; i < 1000; i++) writer.TryWrite(Entry($"/n/{i}")).ShouldBeTrue();
        await writer.DisposeAsync();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        lines[^1].ShouldBeEmpty();
        lines[..^1].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ShouldBe(Enumerable.Range(0, 1000).Select(i => $"/n/{i}"));
    }

    [Fact]
    public async Task TryWrite_QueueFull_DropsAndCountsWithoutWaiting()
    {
        var gate = new GateStream();
        var writer = new AccessLogWriter(gate, _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance, capacity: 2);
        writer.TryWrite(Entry("/first")).ShouldBeTrue();
        // The writer holds the first batch in its (blocked) write: the queue is empty, with room for two.
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var results = new List<bool>();
        var dropped = Dropped(() =>
        {
            for (var i = 0; i < 5; i++) results.Add(writer.TryWrite(Entry($"/more/{i}")));
        });
        gate.Release();
        await writer.DisposeAsync();

        results.ShouldBe([true, true, false, false, false]);
        dropped.ShouldBe(3);
        Encoding.UTF8.GetString(gate.Written.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
    }

    [Fact]
    public async Task Drain_LoneSurrogate_WrittenAsReplacementCharacterOnItsOwnLine()
    {
        var output = new MemoryStream();
        var writer = new AccessLogWriter(new KeepOpen(output), _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance);

        writer.TryWrite(Entry("/before"));
        writer.TryWrite(Entry("/lone\ud800surrogate"));
        writer.TryWrite(Entry("/after"));
        await writer.DisposeAsync();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ShouldBe(["/before", "/lone\ufffdsurrogate", "/after"]);
    }

    [Fact]
    public async Task Open_RelativeFile_CreatedBesideTheConfigAndAppended()
    {
        var dir = Directory.CreateTempSubdirectory("portico-accesslog-");
        try
        {
            var first = AccessLogWriter.Open("logs/access.log", dir.FullName, _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance);
            first.TryWrite(Entry("/one"));
            await first.DisposeAsync();
            var second = AccessLogWriter.Open("logs/access.log", dir.FullName, _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance);
            second.TryWrite(Entry("/two"));
            await second.DisposeAsync();

            var lines = await File.ReadAllLinesAsync(Path.Combine(dir.FullName, "logs", "access.log"), TestContext.Current.CancellationToken);
            lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()).ShouldBe(["/one", "/two"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Open_PathUnderAFile_RefusedNamingTheKeyAndPath()
    {
        var dir = Directory.CreateTempSubdirectory("portico-accesslog-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "taken"), "");

            var error = Should.Throw<InvalidOperationException>(() =>
                AccessLogWriter.Open("taken/access.log", dir.FullName, _metrics, TimeProvider.System, NullLogger<AccessLogWriter>.Instance));

            error.Message.ShouldStartWith("telemetry.accessLog.output:");
            error.Message.ShouldContain(Path.Combine(dir.FullName, "taken", "access.log"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// A MemoryStream the writer may close without losing what it holds.
    sealed class KeepOpen(MemoryStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    /// Blocks the writer's first write until released, so a test can fill the queue behind it.
    sealed class GateStream : Stream
    {
        readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly ManualResetEventSlim _open = new();

        public MemoryStream Written { get; } = new();
        public Task Entered => _entered.Task;
        public void Release() => _open.Set();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written.Length;
        public override long Position { get => Written.Position; set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _entered.TrySetResult();
            _open.Wait(TimeSpan.FromSeconds(30));
            lock (Written) Written.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _open.Dispose();
            base.Dispose(disposing);
        }
    }
}
