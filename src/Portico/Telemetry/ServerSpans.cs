using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Portico.Telemetry;

/// <summary>
/// The server span of each request on a gateway's listener, and the gateway's trust in its client's trace context.
/// A trusting gateway (the default) continues a well-formed incoming traceparent; an untrusting one removes the
/// client's trace headers (also with tracing off, so no upstream sees them) and starts a new trace. When the host
/// already traces the request (an embedding app instrumenting ASP.NET Core), a trusting gateway's span is a child
/// of the app's span, which has continued the client's context itself; the bare activity ASP.NET Core makes for
/// logging scopes is never a parent (it is not exported). With tracing off this costs one check.
/// </summary>
/// <param name="tracing">Tracing is on for this host (the activity source is process-wide: another host's listener
/// must not make this one trace).</param>
/// <param name="trusts">Whether the gateway the request arrived at trusts its client's trace context.</param>
internal sealed class ServerSpans(bool tracing, Func<HttpContext, bool> trusts)
{
    public Task RunAsync(HttpContext context, RequestTelemetry telemetry, RequestDelegate next)
    {
        var trusted = trusts(context);
        if (!trusted)
        {
            var headers = context.Request.Headers;
            foreach (var name in TraceContext.ClientHeaders) headers.Remove(name);
            // The host's activity continued what the client sent (ASP.NET Core reads traceparent itself); a library that
            // propagates the current activity (RabbitMQ.Client does) would pass the client's trace id on from it.
            if (Activity.Current is { ParentId: not null }) Activity.Current = null;
        }
        return tracing && PorticoDiagnostics.Source.HasListeners() ? TracedAsync(context, telemetry, next, trusted) : next(context);
    }

    static async Task TracedAsync(HttpContext context, RequestTelemetry telemetry, RequestDelegate next, bool trusted)
    {
        var request = context.Request;
        var method = TagNames.MethodValue(request.Method);
        var host = Activity.Current;
        var parent = default(ActivityContext);
        var underHost = trusted && host is not null && host.Source.Name.Length > 0;
        if (!underHost)
        {
            if (trusted && TraceContext.TryExtract(request.Headers, out var remote)) parent = remote;
            // Otherwise a new root: never a child of the host's activity, which may carry what the client sent.
            Activity.Current = null;
        }
        using var span = PorticoDiagnostics.Source.StartActivity(method == "_OTHER" ? "HTTP" : method, ActivityKind.Server, parent);
        if (span is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        if (span.IsAllDataRequested)
        {
            span.SetTag(TagNames.Method, method);
            if (method == "_OTHER") span.SetTag("http.request.method_original", request.Method.Length <= 32 ? request.Method : request.Method[..32]);
            span.SetTag("url.path", request.PathBase.Add(request.Path).Value);
            span.SetTag("url.scheme", request.Scheme);
            span.SetTag(TagNames.ServerPort, context.Connection.LocalPort);
            if (context.Connection.RemoteIpAddress is { } client) span.SetTag("client.address", client.ToString());
            span.SetTag("network.protocol.version", ProtocolVersion(request.Protocol));
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            span.SetTag(TagNames.ErrorType, ex.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error);
            throw;
        }
        finally
        {
            End(span, context, telemetry, method);
        }
    }

    static void End(Activity span, HttpContext context, RequestTelemetry telemetry, string method)
    {
        if (telemetry.Route is { } route) span.DisplayName = $"{(method == "_OTHER" ? "HTTP" : method)} {route}";
        var status = context.Response.StatusCode;
        if (status >= 500)
        {
            span.SetStatus(ActivityStatusCode.Error);
            if (span.GetTagItem(TagNames.ErrorType) is null) span.SetTag(TagNames.ErrorType, telemetry.ErrorType ?? status.ToString(CultureInfo.InvariantCulture));
        }
        if (!span.IsAllDataRequested) return;
        span.SetTag(TagNames.Status, status);
        if (telemetry.Route is not null && context.GetEndpoint() is RouteEndpoint endpoint) span.SetTag("http.route", endpoint.RoutePattern.RawText);
        SetIfAny(span, TagNames.Gateway, telemetry.Gateway);
        SetIfAny(span, TagNames.Route, telemetry.Route);
        SetIfAny(span, "portico.consumer.id", telemetry.ConsumerId);
        SetIfAny(span, "portico.cache", telemetry.Cache);
        SetIfAny(span, "portico.rate_limit", telemetry.RateLimit);
        SetIfAny(span, "portico.request_id", telemetry.RequestId);
    }

    static void SetIfAny(Activity span, string name, string? value)
    {
        if (value is not null) span.SetTag(name, value);
    }

    static string ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        _ => protocol,
    };
}
