namespace Portico.Configuration;

/// <summary>
/// The `telemetry:` section: the telemetry listener (Prometheus scrape), OTLP export, tracing, the access log and
/// request ids. The listener and exporters are set up at start; a reload that changes them is logged as needing a
/// restart (like `server:`). Per gateway, <see cref="GatewayTelemetry"/> applies on reload.
/// </summary>
/// <param name="Listen">The telemetry listener's address (http://IP:port); null: no listener.</param>
/// <param name="ServiceName">`service.name` of what is exported; null: OTEL_SERVICE_NAME, else "portico".</param>
internal sealed record TelemetryDefinition(
    string? Listen,
    string? ServiceName,
    MetricsDefinition Metrics,
    TracingDefinition Tracing,
    OtlpDefinition? Otlp,
    AccessLogDefinition? AccessLog,
    RequestIdDefinition? RequestId)
{
    public static readonly TelemetryDefinition Default = new(null, null, MetricsDefinition.Default, TracingDefinition.Default, null, null, RequestIdDefinition.Default);

    /// <summary>What is set up at start (listener, exporters, sampling, the access log's output), as comparable text.</summary>
    public string StartupShape() =>
        $"{Listen}|{ServiceName}|{Metrics}|{Tracing}|{Otlp?.Endpoint}|{Otlp?.Protocol}|{Otlp?.Interval}|{string.Join(",", Otlp?.Headers.Select(h => h.Key + "=" + h.Value) ?? [])}|{AccessLog?.Output}";

    /// <summary>The listener address a bare port (`listen: 9464`) stands for: loopback.</summary>
    public static string LoopbackListen(int port) => $"http://127.0.0.1:{port}";
}

/// <param name="Enabled">Instruments are recorded (when something exports them: the listener or OTLP).</param>
/// <param name="Path">The Prometheus scrape path on the telemetry listener.</param>
/// <param name="Otlp">Metrics go to the OTLP endpoint too, when one is set.</param>
internal sealed record MetricsDefinition(bool Enabled, string Path, bool Otlp)
{
    public static readonly MetricsDefinition Default = new(true, "/metrics", true);
}

/// <param name="Enabled">null: on when an OTLP endpoint is set (config or OTEL_EXPORTER_OTLP_*), off otherwise.</param>
/// <param name="SampleRatio">The share of new traces recorded; a continued trace follows its parent's decision.</param>
internal sealed record TracingDefinition(bool? Enabled, double SampleRatio)
{
    public static readonly TracingDefinition Default = new(null, 1.0);
}

/// <param name="Protocol">"grpc" or "http/protobuf"; null: OTEL_EXPORTER_OTLP_PROTOCOL, else grpc.</param>
/// <param name="Interval">How often metrics are pushed; null: OTEL_METRIC_EXPORT_INTERVAL, else 60 s.</param>
internal sealed record OtlpDefinition(Uri? Endpoint, string? Protocol, IReadOnlyDictionary<string, string> Headers, TimeSpan? Interval);

/// <summary>One JSON line per request (schema in docs/observability.md).</summary>
/// <param name="Output">"stdout", or a file path (relative to the config file's directory).</param>
/// <param name="Statuses">Only requests answered with one of these are logged; empty: all.</param>
/// <param name="Sample">The share of the requests that pass the status filter that are logged.</param>
internal sealed record AccessLogDefinition(string Output, IReadOnlyList<StatusRange> Statuses, double Sample)
{
    public const string Stdout = "stdout";
}

/// <summary>A status filter item: `404`, `4xx`, or `500-504`.</summary>
internal readonly record struct StatusRange(int From, int To)
{
    public bool Contains(int status) => status >= From && status <= To;

    public static bool TryParse(string text, out StatusRange range)
    {
        range = default;
        text = text.Trim();
        if (text.Length == 3 && text[0] is >= '1' and <= '5' && (text[1..] is "xx" or "XX"))
        {
            var hundred = (text[0] - '0') * 100;
            range = new StatusRange(hundred, hundred + 99);
            return true;
        }
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0) dash = text.Length;
        if (!int.TryParse(text.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var from)) return false;
        var to = from;
        if (dash < text.Length && !int.TryParse(text.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out to)) return false;
        if (from is < 100 or > 599 || to is < 100 or > 599 || to < from) return false;
        range = new StatusRange(from, to);
        return true;
    }

    public override string ToString() => From == To ? $"{From}" : From % 100 == 0 && To == From + 99 ? $"{From / 100}xx" : $"{From}-{To}";
}

/// <param name="Header">The request id header: taken from the client when valid, made otherwise, sent upstream and returned.</param>
internal sealed record RequestIdDefinition(string Header)
{
    public const string DefaultHeader = "X-Request-Id";
    public static readonly RequestIdDefinition Default = new(DefaultHeader);
}

/// <summary>A gateway's `accessLog:` and `trustTraceContext:` (applied on reload).</summary>
/// <param name="AccessLog">false: no access log lines for this gateway (`accessLog: false`).</param>
/// <param name="Statuses">Overrides telemetry.accessLog.statuses for this gateway; null: the section's.</param>
/// <param name="Sample">Overrides telemetry.accessLog.sample for this gateway; null: the section's.</param>
/// <param name="TrustTraceContext">An incoming traceparent/tracestate is continued (true) or ignored and dropped (false).</param>
internal sealed record GatewayTelemetry(bool AccessLog, IReadOnlyList<StatusRange>? Statuses, double? Sample, bool TrustTraceContext)
{
    public static readonly GatewayTelemetry Default = new(true, null, null, true);
}
