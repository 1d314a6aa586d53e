namespace Portico.Configuration;

internal static partial class ConfigValidator
{
    /// Headers a request id must not be carried in: credentials, hop-by-hop, framing, trace context, identity.
    static readonly HashSet<string> ReservedRequestIdHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Host", "Connection", "Keep-Alive", "Transfer-Encoding",
        "Content-Length", "Content-Type", "TE", "Trailer", "Upgrade", "Proxy-Connection", "traceparent", "tracestate", "baggage",
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
    };

    static void ValidateTelemetry(PorticoConfig config, Action<string, string, string?> error)
    {
        var t = config.Telemetry;
        if (t.Listen is { } text)
        {
            const string path = "telemetry.listen";
            if (!ListenAddressRegex().IsMatch(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                error(path, $"'{text}' is not an http:// listen address", "use http://IP:port, e.g. http://127.0.0.1:9464, or a bare port for loopback: 9464");
            else if (uri.Host.Trim('[', ']') is var host && host is not "localhost" && !System.Net.IPAddress.TryParse(host, out _))
                error(path, $"'{text}' names a host, not an address", "listen on an IP address (127.0.0.1 keeps it on this machine) or localhost");
            else if (uri.Port != 0 && config.Gateways.FirstOrDefault(g => g.Listen.Any(l => Uri.TryCreate(l, UriKind.Absolute, out var gl) && gl.Port == uri.Port)) is { } clash)
                error(path, $"port {uri.Port} is already used by gateway '{clash.Name}'", "the telemetry listener needs its own port, so /metrics is never served on a gateway");
        }
        if (!t.Metrics.Path.StartsWith('/') || t.Metrics.Path.Any(char.IsControl) || t.Metrics.Path.Contains('?', StringComparison.Ordinal))
            error("telemetry.metrics.path", $"'{t.Metrics.Path}' is not a path", "start it with '/', e.g. /metrics");
        if (t.ServiceName is { } name && (name.Length == 0 || name.Any(char.IsControl)))
            error("telemetry.serviceName", "the service name is empty or holds control characters", "e.g. serviceName: portico-edge");
        foreach (var (key, value) in t.Otlp?.Headers ?? new Dictionary<string, string>())
        {
            if (!TokenRegex().IsMatch(key)) error($"telemetry.otlp.headers.{key}", $"'{key}' is not a header name", null);
            else if (value.Any(c => char.IsControl(c) && c != '\t')) error($"telemetry.otlp.headers.{key}", "the value holds control characters", "a header value is one line of text");
        }
        if (t.AccessLog is { Output: var output } && output != AccessLogDefinition.Stdout && (output.Length == 0 || output.Any(char.IsControl)))
            error("telemetry.accessLog.output", $"'{output}' is not a file path", "write stdout, or a path such as logs/access.log");
        if (t.RequestId is { Header: var header })
        {
            if (!TokenRegex().IsMatch(header)) error("telemetry.requestId.header", $"'{header}' is not a header name", "e.g. X-Request-Id");
            else if (ReservedRequestIdHeaders.Contains(header))
                error("telemetry.requestId.header", $"'{header}' carries something else", "use a header of its own, e.g. X-Request-Id or X-Correlation-Id");
        }
    }
}
