using System.Diagnostics;
using Portico.Telemetry;

namespace Portico.Services;

/// <summary>
/// One call (one attempt) of the gateway to an upstream service: its client span (a child of the request's server
/// span, when tracing is on), its `portico.upstream.request.duration` measurement, and the request's telemetry
/// (service, destination, upstream status). Started before the request is sent so its trace context can be
/// written into it (<see cref="TraceContext"/>); ended once with the outcome.
/// </summary>
internal readonly struct UpstreamCall
{
    readonly ServiceRuntime _service;
    readonly string _kind;
    readonly Uri? _destination;
    readonly RequestTelemetry? _request;
    readonly long _started;

    UpstreamCall(ServiceRuntime service, string kind, Uri? destination, RequestTelemetry? request, Activity? span)
    {
        _service = service;
        _kind = kind;
        _destination = destination;
        _request = request;
        _started = Stopwatch.GetTimestamp();
        Span = span;
    }

    /// The client span, null when tracing is off or the trace is not sampled.
    public Activity? Span { get; }

    /// An HTTP call (proxy, aggregate part, GraphQL, session login) to <paramref name="destination"/>.
    public static UpstreamCall Http(ServiceRuntime service, string kind, Uri destination, string method, RequestTelemetry? request)
    {
        var span = Start($"{NameOf(method)} {service.Name}", ActivityKind.Client, service, destination);
        if (span is { IsAllDataRequested: true }) span.SetTag(TagNames.Method, TagNames.MethodValue(method));
        return new UpstreamCall(service, kind, destination, request, span);
    }

    /// A gRPC call of <paramref name="rpcService"/>/<paramref name="rpcMethod"/>.
    public static UpstreamCall Grpc(ServiceRuntime service, Uri destination, string rpcService, string rpcMethod, RequestTelemetry? request)
    {
        var span = Start($"{rpcService}/{rpcMethod}", ActivityKind.Client, service, destination);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("rpc.system", "grpc");
            span.SetTag("rpc.service", rpcService);
            span.SetTag("rpc.method", rpcMethod);
        }
        return new UpstreamCall(service, UpstreamMetrics.Kinds.Grpc, destination, request, span);
    }

    /// An AMQP publish (a producer span) or RPC call (a client span) to <paramref name="exchange"/>.
    public static UpstreamCall Amqp(ServiceRuntime service, Uri? broker, string exchange, string routingKey, bool rpc, RequestTelemetry? request)
    {
        // The messaging conventions name the default exchange amq.default.
        var destination = exchange.Length == 0 ? "amq.default" : exchange;
        var span = Start($"{(rpc ? "send" : "publish")} {destination}", rpc ? ActivityKind.Client : ActivityKind.Producer, service, broker);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("messaging.system", "rabbitmq");
            span.SetTag("messaging.operation.type", rpc ? "send" : "publish");
            span.SetTag("messaging.destination.name", destination);
            span.SetTag("messaging.rabbitmq.destination.routing_key", routingKey);
        }
        return new UpstreamCall(service, UpstreamMetrics.Kinds.Amqp, broker, request, span);
    }

    /// A call that reached no destination (circuit open, none healthy): measured, with no span.
    public static void NotSent(ServiceRuntime service, string kind, string outcome, RequestTelemetry? request)
    {
        if (request is not null) request.Service = service.Name;
        service.Metrics?.RecordCall(service.Name, kind, null, outcome, null, TimeSpan.Zero);
    }

    static Activity? Start(string name, ActivityKind kind, ServiceRuntime service, Uri? destination)
    {
        // Only under this request's server span: none means tracing is off for this host (or the trace is not sampled).
        if (Activity.Current is not { Kind: ActivityKind.Server } server || server.Source != PorticoDiagnostics.Source) return null;
        var span = PorticoDiagnostics.Source.StartActivity(name, kind);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(TagNames.Service, service.Name);
            if (destination is not null)
            {
                span.SetTag(TagNames.ServerAddress, destination.Host);
                span.SetTag(TagNames.ServerPort, destination.Port);
            }
        }
        return span;
    }

    static string NameOf(string method) => TagNames.MethodValue(method) is "_OTHER" ? "HTTP" : method;

    /// Ends the call: the span gets the status and outcome (an error unless <paramref name="outcome"/> is success or
    /// confirmed), the duration is recorded, and the request's telemetry names the service, destination and status.
    public void End(string outcome, int? status = null, int? grpcStatus = null)
    {
        if (_service is null) return;
        var failed = outcome is not (UpstreamMetrics.Outcomes.Success or UpstreamMetrics.Outcomes.Confirmed);
        if (Span is { } span)
        {
            if (span.IsAllDataRequested)
            {
                if (status is { } code) span.SetTag(TagNames.Status, code);
                if (grpcStatus is { } grpc) span.SetTag("rpc.grpc.status_code", grpc);
                if (failed) span.SetTag(TagNames.ErrorType, outcome == UpstreamMetrics.Outcomes.HttpError && status is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : outcome);
            }
            if (failed) span.SetStatus(ActivityStatusCode.Error);
            span.Dispose();
        }
        _service.Metrics?.RecordCall(_service.Name, _kind, _destination, outcome, status, Stopwatch.GetElapsedTime(_started));
        if (_request is not null)
        {
            _request.Service = _service.Name;
            _request.Destination = _destination is null ? null : _destination.GetLeftPart(UriPartial.Authority);
            _request.UpstreamStatus = status;
        }
    }

    /// The outcome of an HTTP answer: http_error for a 5xx, success otherwise (the service answered).
    public static string OutcomeOf(int status) => status >= 500 ? UpstreamMetrics.Outcomes.HttpError : UpstreamMetrics.Outcomes.Success;
}
