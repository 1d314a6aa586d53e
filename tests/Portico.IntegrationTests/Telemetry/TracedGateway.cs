using System.Collections;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Telemetry;

/// The spans an in-memory exporter received. Every tracing host in the process exports every "Portico" span, so
/// tests pick theirs by the gateway's port and trace id.
internal sealed class ExportedSpans : ICollection<Activity>
{
    readonly List<Activity> _spans = [];
    readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate) return _spans.Count;
        }
    }

    public bool IsReadOnly => false;

    public void Add(Activity item)
    {
        lock (_gate) _spans.Add(item);
    }

    public void Clear()
    {
        lock (_gate) _spans.Clear();
    }

    public bool Contains(Activity item)
    {
        lock (_gate) return _spans.Contains(item);
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_gate) _spans.CopyTo(array, arrayIndex);
    }

    public bool Remove(Activity item)
    {
        lock (_gate) return _spans.Remove(item);
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public List<Activity> Snapshot()
    {
        lock (_gate) return [.. _spans];
    }

    /// The server span of the gateway listening on <paramref name="port"/> (for <paramref name="path"/>), once exported
    /// (it ends after the response).
    public async Task<Activity> ServerSpanAsync(int port, string? path = null)
    {
        Activity? found = null;
        await Poll.UntilAsync(() => (found = Snapshot().LastOrDefault(s => s.Kind == ActivityKind.Server && s.GetTagItem("server.port") is int p && p == port
            && (path is null || (string?)s.GetTagItem("url.path") == path))) is not null, TimeSpan.FromSeconds(10));
        return found!;
    }

    /// The spans of one trace.
    public List<Activity> Of(ActivityTraceId trace) => [.. Snapshot().Where(s => s.TraceId == trace)];
}

internal static class TracedGateway
{
    /// A gateway with tracing on whose spans land in <paramref name="spans"/>; the YAML must not have a telemetry section.
    public static Task<GatewayUnderTest> StartAsync(string yaml, ExportedSpans spans, Action<IServiceCollection>? services = null, bool tracing = true) =>
        GatewayUnderTest.StartAsync($"telemetry: {{ tracing: {{ enabled: {(tracing ? "true" : "false")} }} }}\n" + yaml, services: s =>
        {
            s.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(spans));
            services?.Invoke(s);
        });

    /// The W3C traceparent's trace id and parent (span) id.
    public static (string Trace, string Parent) Parse(string traceparent)
    {
        var parts = traceparent.Split('-');
        parts.Length.ShouldBe(4, $"not a traceparent: {traceparent}");
        return (parts[1], parts[2]);
    }
}
