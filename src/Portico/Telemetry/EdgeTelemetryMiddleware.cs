using Microsoft.AspNetCore.Http;

namespace Portico.Telemetry;

/// <summary>
/// First at a gateway's edge (before path checks and routing, so refused and unmatched requests count too):
/// gives the request its <see cref="RequestTelemetry"/>, its id, its server span, and writes its access log line
/// when it ends.
/// </summary>
internal sealed class EdgeTelemetryMiddleware(RequestDelegate next, TimeProvider time, ServerSpans spans)
{
    public Task InvokeAsync(HttpContext context)
    {
        var telemetry = new RequestTelemetry { StartTimestamp = time.GetTimestamp() };
        context.Features.Set(telemetry);
        return spans.RunAsync(context, telemetry, next);
    }
}
