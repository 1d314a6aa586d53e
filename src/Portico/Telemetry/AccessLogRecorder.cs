using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Telemetry;

/// <summary>
/// The request side of the access log: decides at the edge whether the request may get a line (its gateway's
/// switch and sample), counts its body bytes both ways, and once the rest of the pipeline has run (answered,
/// refused, failed or abandoned by the client) hands the line to the <see cref="AccessLogWriter"/> if its status
/// passes the filter. Without an access log (the default) nothing of this runs.
/// </summary>
internal sealed class AccessLogRecorder(AccessLogWriter? writer, GatewayView gateways, TimeProvider time)
{
    /// <summary>The statuses of requests the client gave up on before any answer was sent (as nginx logs them).</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>False when the config has no access log: the edge skips it entirely.</summary>
    public bool Enabled => writer is not null;

    public Task TrackAsync(HttpContext context, RequestTelemetry telemetry, RequestDelegate next)
    {
        if (writer is null || gateways.Config is not { } config) return next(context);
        var gateway = gateways.GatewayOf(context, config);
        if (AccessLogFilter.For(config.Telemetry.AccessLog, gateway?.Telemetry) is not { } filter) return next(context);
        if (!filter.Sampled(Random.Shared.NextDouble())) return next(context);
        return LoggedAsync(context, telemetry, next, writer, filter, gateway?.Name);
    }

    async Task LoggedAsync(HttpContext context, RequestTelemetry telemetry, RequestDelegate next, AccessLogWriter log, AccessLogFilter filter, string? gateway)
    {
        var started = time.GetUtcNow();
        var request = context.Request;
        var response = context.Response;
        // A request that can have no body (no Content-Length, no chunks) reads nothing: no counter needed.
        CountingRequestBody? bodyIn = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false })
            request.Body = bodyIn = new CountingRequestBody(request.Body);
        var originalOut = response.Body;
        var bodyOut = new CountingResponseBody(originalOut);
        response.Body = bodyOut;
        var failed = false;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            response.Body = originalOut;
            var status = response.StatusCode;
            var aborted = context.RequestAborted.IsCancellationRequested;
            if (failed && !response.HasStarted) status = StatusCodes.Status500InternalServerError;
            if (aborted && !response.HasStarted) status = ClientClosedRequest;
            if (aborted) telemetry.ErrorType ??= "aborted";
            else if (failed) telemetry.ErrorType ??= "internal";
            if (filter.Admits(status))
            {
                log.TryWrite(new AccessLogEntry
                {
                    Timestamp = started,
                    Gateway = telemetry.Gateway ?? gateway,
                    Route = telemetry.Route,
                    Method = request.Method,
                    // The path alone: the query may carry secrets and is never logged.
                    Path = request.PathBase.Add(request.Path).Value ?? "/",
                    Status = status,
                    DurationMs = time.GetElapsedTime(telemetry.StartTimestamp).TotalMilliseconds,
                    Service = telemetry.Service,
                    Destination = telemetry.Destination,
                    UpstreamStatus = telemetry.UpstreamStatus,
                    BytesIn = bodyIn?.Count ?? 0,
                    BytesOut = bodyOut.Count,
                    ClientAddress = gateways.ClientAddress(context),
                    ConsumerId = telemetry.ConsumerId,
                    AuthScheme = telemetry.AuthScheme,
                    TraceId = Activity.Current is { } activity ? activity.TraceId.ToHexString() : null,
                    RequestId = telemetry.RequestId,
                    Cache = telemetry.Cache,
                    RateLimit = telemetry.RateLimit,
                    ErrorType = telemetry.ErrorType,
                });
            }
        }
    }
}
