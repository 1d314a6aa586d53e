using Microsoft.AspNetCore.Http;
using Portico.Configuration;

namespace Portico.Telemetry;

/// <summary>
/// First at a gateway's edge (before path checks and routing, so refused and unmatched requests count too):
/// gives the request its <see cref="RequestTelemetry"/>, its id, its server span, and writes its access log line
/// when it ends (inside the span, so the line carries its trace id).
/// </summary>
internal sealed class EdgeTelemetryMiddleware
{
    readonly TimeProvider _time;
    readonly ServerSpans _spans;
    readonly GatewayView _gateways;
    readonly RequestDelegate _inner;

    public EdgeTelemetryMiddleware(RequestDelegate next, TimeProvider time, ServerSpans spans, GatewayView gateways, AccessLogRecorder accessLog)
    {
        _time = time;
        _spans = spans;
        _gateways = gateways;
        _inner = accessLog.Enabled ? context => accessLog.TrackAsync(context, RequestTelemetry.Of(context)!, next) : next;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var telemetry = new RequestTelemetry { StartTimestamp = _time.GetTimestamp() };
        context.Features.Set(telemetry);
        var settings = _gateways.Config?.Telemetry ?? TelemetryDefinition.Default;
        if (settings.RequestId is { } requestId) RequestIds.Apply(context, telemetry, requestId.Header);
        return _spans.RunAsync(context, telemetry, _inner);
    }
}
