using Microsoft.AspNetCore.Http;
using Portico.Configuration;

namespace Portico.Telemetry;

/// <summary>
/// First at a gateway's edge (before path checks and routing, so refused and unmatched requests count too):
/// gives the request its <see cref="RequestTelemetry"/>, its id, its server span, and writes its access log line
/// when it ends.
/// </summary>
internal sealed class EdgeTelemetryMiddleware(RequestDelegate next, TimeProvider time, GatewayView gateways, AccessLogRecorder accessLog)
{
    public Task InvokeAsync(HttpContext context)
    {
        var telemetry = new RequestTelemetry { StartTimestamp = time.GetTimestamp() };
        context.Features.Set(telemetry);
        var settings = gateways.Config?.Telemetry ?? TelemetryDefinition.Default;
        if (settings.RequestId is { } requestId) RequestIds.Apply(context, telemetry, requestId.Header);
        return accessLog.Enabled ? accessLog.TrackAsync(context, telemetry, next) : next(context);
    }
}
