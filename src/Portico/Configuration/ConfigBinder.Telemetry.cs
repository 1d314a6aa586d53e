using System.Globalization;

namespace Portico.Configuration;

internal static partial class ConfigBinder
{
    static TelemetryDefinition BindTelemetry(ConfigNode? node, List<ConfigError> errors)
    {
        var d = TelemetryDefinition.Default;
        var r = new MappingReader(node, errors, "telemetry settings");
        if (!r.Exists) return d;
        string? listen = null;
        if (r.Node("listen") is ConfigScalar { Value: { } lv } listenNode)
        {
            // A bare port is the loopback listener.
            if (int.TryParse(lv, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                if (port is < 0 or > 65535) r.Error(listenNode, $"{port} is not a port", "use a port from 1 to 65535, or an address: http://127.0.0.1:9464");
                else listen = TelemetryDefinition.LoopbackListen(port);
            }
            else listen = lv;
        }
        else if (r.Node("listen") is { } bad) r.Error(bad, $"expected an address, found {bad.Kind}", "e.g. listen: http://127.0.0.1:9464");

        var m = new MappingReader(r.Node("metrics"), errors, "metrics settings");
        var metrics = new MetricsDefinition(m.Bool("enabled") ?? true, m.String("path") ?? MetricsDefinition.Default.Path, m.Bool("otlp") ?? true);
        m.Done();

        var t = new MappingReader(r.Node("tracing"), errors, "tracing settings");
        var tracing = new TracingDefinition(t.Bool("enabled"), t.Double("sampleRatio", 0, 1) ?? 1.0);
        t.Done();

        OtlpDefinition? otlp = null;
        if (r.Node("otlp") is { } otlpNode)
        {
            var o = new MappingReader(otlpNode, errors, "OTLP exporter settings");
            Uri? endpoint = null;
            if (o.String("endpoint") is { } e)
            {
                if (Uri.TryCreate(e, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0)
                    endpoint = uri;
                else o.Error(o.Node("endpoint")!, $"'{e}' is not an http:// or https:// URL", "e.g. http://127.0.0.1:4317 (gRPC) or http://127.0.0.1:4318 (http/protobuf)");
            }
            var protocol = o.Choice("protocol", new Dictionary<string, string>(StringComparer.Ordinal) { ["grpc"] = "grpc", ["http/protobuf"] = "http/protobuf" });
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in o.Entries("headers"))
            {
                if (value is ConfigScalar { Value: { } hv }) headers[key.Value!] = hv;
                else o.Error(value, $"expected a value, found {value.Kind}");
            }
            otlp = new OtlpDefinition(endpoint, protocol, headers, o.Duration("interval"));
            o.Done();
        }

        AccessLogDefinition? accessLog = null;
        if (r.Node("accessLog") is { } alNode && alNode is not ConfigScalar { Value: "false" or "off" })
        {
            if (alNode is ConfigScalar { Value: "true" or "on" }) accessLog = new AccessLogDefinition(AccessLogDefinition.Stdout, [], 1.0);
            else
            {
                var a = new MappingReader(alNode, errors, "access log settings");
                var enabled = a.Bool("enabled") ?? true;
                var output = a.String("output") ?? AccessLogDefinition.Stdout;
                var statuses = BindStatuses(a, errors) ?? [];
                var sample = a.Double("sample", 0, 1) ?? 1.0;
                a.Done();
                if (enabled) accessLog = new AccessLogDefinition(output, statuses, sample);
            }
        }

        var requestId = d.RequestId;
        if (r.Node("requestId") is { } ridNode)
        {
            if (ridNode is ConfigScalar { Value: "false" or "off" }) requestId = null;
            else if (ridNode is not ConfigScalar { Value: "true" or "on" })
            {
                var q = new MappingReader(ridNode, errors, "request id settings");
                var enabled = q.Bool("enabled") ?? true;
                var header = q.String("header") ?? RequestIdDefinition.DefaultHeader;
                q.Done();
                requestId = enabled ? new RequestIdDefinition(header) : null;
            }
        }
        var result = new TelemetryDefinition(listen, r.String("serviceName"), metrics, tracing, otlp, accessLog, requestId);
        r.Done();
        return result;
    }

    /// `statuses: [4xx, 503, 500-504]`; null when the key is absent.
    static List<StatusRange>? BindStatuses(MappingReader r, List<ConfigError> errors)
    {
        var node = r.Node("statuses");
        if (node is null) return null;
        var list = new List<StatusRange>();
        foreach (var (text, i) in r.StringList(node).Select((t, i) => (t, i)))
        {
            var at = node is ConfigSequence seq ? seq.Items[i] : node;
            if (StatusRange.TryParse(text, out var range)) list.Add(range);
            else errors.Add(new ConfigError(at.Path, $"'{text}' is not a status, class or range", at.Location, "use 404, 4xx or 500-504"));
        }
        return list;
    }

    /// A gateway's `accessLog: false | { statuses, sample }` and `trustTraceContext`.
    static GatewayTelemetry BindGatewayTelemetry(MappingReader g, List<ConfigError> errors)
    {
        var d = GatewayTelemetry.Default;
        var on = true;
        List<StatusRange>? statuses = null;
        double? sample = null;
        var node = g.Node("accessLog");
        if (node is ConfigScalar { Value: "false" or "off" }) on = false;
        else if (node is ConfigScalar { Value: "true" or "on" }) on = true;
        else if (node is not null)
        {
            var a = new MappingReader(node, errors, "the gateway's access log settings");
            on = a.Bool("enabled") ?? true;
            statuses = BindStatuses(a, errors);
            sample = a.Double("sample", 0, 1);
            a.Done();
        }
        var trust = g.Bool("trustTraceContext") ?? d.TrustTraceContext;
        return on && statuses is null && sample is null && trust == d.TrustTraceContext ? d : new GatewayTelemetry(on, statuses, sample, trust);
    }
}
