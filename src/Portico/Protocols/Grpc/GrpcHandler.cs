using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Portico.Identity;
using Portico.Problems;

using Portico.Runtime;
using Portico.Services;
using Portico.Telemetry;

namespace Portico.Protocols.Grpc;

/// Answers a gRPC route: builds the request message from path parameters, query parameters and the JSON body,
/// calls the method, and writes the answer as proto3 JSON (a server stream as a JSON array, or NDJSON when the
/// client accepts application/x-ndjson, flushed per message). gRPC statuses become problem+json.
internal sealed partial class GrpcHandler(TimeProvider time, ILogger<GrpcHandler> logger)
{
    public static readonly string NdjsonType = Formats.StreamingAnswerMetadata.Ndjson.MediaType;
    static readonly string[] TracingHeaders = ["traceparent", "tracestate", "baggage", "x-request-id"];
    static readonly byte[] Newline = "\n"u8.ToArray();
    static readonly JsonDocumentOptions NoDuplicates = new() { AllowDuplicateProperties = false };

    public async Task HandleAsync(HttpContext context, GatewayRoute route, GrpcRoute grpc)
    {
        byte[] request;
        try
        {
            request = await BuildRequestAsync(context, grpc).ConfigureAwait(false);
        }
        catch (GrpcTranscodeException ex)
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.InvalidMessage, "Bad Request",
                $"Field '{ex.Field}': {ex.Message}.", null, route.Name).ConfigureAwait(false);
            return;
        }
        catch (JsonException ex)
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.InvalidMessage, "Bad Request",
                $"The body is not valid JSON: {ex.Message}", null, route.Name).ConfigureAwait(false);
            return;
        }
        // JsonNode reads names and strings lazily: invalid UTF-8 in them shows up only when the message is built.
        catch (InvalidOperationException ex) when (ex.InnerException is System.Text.DecoderFallbackException)
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.InvalidMessage, "Bad Request",
                "The body is not valid JSON: it holds text that is not UTF-8.", null, route.Name).ConfigureAwait(false);
            return;
        }
        if ((grpc.Service.Client as GrpcChannels)?.Pick(grpc.Service) is not { } target)
        {
            UpstreamCall.NotSent(grpc.Service, UpstreamMetrics.Kinds.Grpc, UpstreamMetrics.Outcomes.NoDestination, RequestTelemetry.Of(context));
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, "Service Unavailable",
                $"Service '{grpc.Service.Name}' has no healthy destination.", grpc.Service.Name, route.Name).ConfigureAwait(false);
            return;
        }
        target.Destination.Enter();
        var call = UpstreamCall.Grpc(grpc.Service, target.Destination.Url, grpc.Method.ServiceName, grpc.Method.Name, RequestTelemetry.Of(context));
        var outcome = UpstreamMetrics.Outcomes.Error;
        StatusCode? grpcStatus = null;
        var options = new CallOptions(Metadata(context, grpc, call.Span), time.GetUtcNow().UtcDateTime + grpc.Timeout, context.RequestAborted);
        var invoker = target.Channel.CreateCallInvoker();
        try
        {
            if (grpc.Plan.ServerStreaming) await StreamAsync(context, grpc, invoker, options, request).ConfigureAwait(false);
            else
            {
                var response = await invoker.AsyncUnaryCall(grpc.Method, null, options, request).ConfigureAwait(false);
                var body = Answer(grpc, response);
                StartAnswer(context.Response, grpc, "application/json; charset=utf-8");
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            }
            grpc.Service.Destinations.ReportSuccess(target.Destination);
            (outcome, grpcStatus) = (UpstreamMetrics.Outcomes.Success, StatusCode.OK);
        }
        catch (RpcException ex) when (context.RequestAborted.IsCancellationRequested && ex.StatusCode == StatusCode.Cancelled)
        {
            // The client went away; the call was cancelled with it.
            (outcome, grpcStatus) = (UpstreamMetrics.Outcomes.Canceled, ex.StatusCode);
        }
        catch (RpcException ex)
        {
            (outcome, grpcStatus) = (OutcomeOf(ex.StatusCode), ex.StatusCode);
            if (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal) grpc.Service.Destinations.ReportFailure(target.Destination);
            LogCallFailed(logger, route.Name, grpc.Plan.FullName, ex.StatusCode);
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }
            var status = GrpcStatusMapping.ToHttp(ex.StatusCode);
            var detail = string.IsNullOrEmpty(ex.Status.Detail) ? $"gRPC status {ex.StatusCode}." : $"gRPC status {ex.StatusCode}: {ex.Status.Detail}";
            await Problem.WriteAsync(context, status, Problem.Types.GrpcStatus, ReasonOf(status), detail, grpc.Service.Name, route.Name).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            outcome = UpstreamMetrics.Outcomes.Canceled;
        }
        catch (Exception ex) when (ex is InvalidDataException or Google.Protobuf.InvalidProtocolBufferException)
        {
            // The answer did not decode with the service's .proto: the files and the service disagree.
            LogBadAnswer(logger, route.Name, grpc.Plan.FullName, ex.Message);
            if (context.Response.HasStarted) context.Abort();
            else await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                $"The answer of {grpc.Plan.FullName} does not match its .proto.", grpc.Service.Name, route.Name).ConfigureAwait(false);
        }
        finally
        {
            target.Destination.Leave();
            call.End(outcome, grpcStatus: grpcStatus is { } code ? (int)code : null);
        }
    }

    /// The metric outcome of a gRPC status other than OK.
    static string OutcomeOf(StatusCode status) => status switch
    {
        StatusCode.DeadlineExceeded => UpstreamMetrics.Outcomes.Timeout,
        StatusCode.Unavailable => UpstreamMetrics.Outcomes.Unavailable,
        StatusCode.Cancelled => UpstreamMetrics.Outcomes.Canceled,
        _ => UpstreamMetrics.Outcomes.RpcError,
    };

    static string ReasonOf(int status) => status == 499 ? "Client Closed Request" : Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    static async Task StreamAsync(HttpContext context, GrpcRoute grpc, CallInvoker invoker, CallOptions options, byte[] request)
    {
        using var call = invoker.AsyncServerStreamingCall(grpc.Method, null, options, request);
        var ndjson = context.Request.Headers.Accept.Any(a => a is not null && a.Contains(NdjsonType, StringComparison.OrdinalIgnoreCase));
        var response = context.Response;
        var body = response.Body;
        var first = true;
        // Headers go out with the first message, so a call failing at once still answers with its status.
        while (await call.ResponseStream.MoveNext(context.RequestAborted).ConfigureAwait(false))
        {
            var json = Answer(grpc, call.ResponseStream.Current);
            if (first)
            {
                StartAnswer(response, grpc, ndjson ? NdjsonType : "application/json; charset=utf-8");
                if (!ndjson) await body.WriteAsync("["u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
            }
            else if (!ndjson) await body.WriteAsync(","u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
            await body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
            if (ndjson) await body.WriteAsync(Newline, context.RequestAborted).ConfigureAwait(false);
            await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            first = false;
        }
        if (first)
        {
            StartAnswer(response, grpc, ndjson ? NdjsonType : "application/json; charset=utf-8");
            if (!ndjson) await body.WriteAsync("[]"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
        }
        else if (!ndjson) await body.WriteAsync("]"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    /// The status, type and the route's response headers of a successful answer.
    static void StartAnswer(HttpResponse response, GrpcRoute grpc, string contentType)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        if (!grpc.ResponseHeaders.IsEmpty) grpc.ResponseHeaders.ApplyTo(response.Headers);
    }

    /// One answer message as JSON bytes: the whole message, or the route's response field (its default
    /// value when the message leaves it unset).
    static byte[] Answer(GrpcRoute grpc, byte[] message)
    {
        var json = ProtobufToJson.Read(grpc.Plan.Output, message, grpc.EmitDefaults);
        if (grpc.ResponseField is { } field)
        {
            json = json?[field.JsonName] ?? (grpc.EmitDefaults ? null : ProtobufToJson.Read(grpc.Plan.Output, message, emitDefaults: true)?[field.JsonName]);
        }
        return Encoding.UTF8.GetBytes(json?.ToJsonString() ?? "null");
    }

    /// Path values, then query parameters (unless the body is the whole message), then the JSON body: merged
    /// over the rest (the body wins, as in grpc-gateway a path parameter names the resource), as one field, or
    /// not read. Query parameters name fields by name or dotted path; those that name no field are ignored.
    static async Task<byte[]> BuildRequestAsync(HttpContext context, GrpcRoute grpc)
    {
        var plan = grpc.Plan.Input;
        var message = new JsonObject();
        var routeValues = context.Request.RouteValues;
        if (grpc.PathVariables.Count > 0)
        {
            foreach (var variable in grpc.PathVariables)
            {
                var text = variable.Compose(name => routeValues.TryGetValue(name, out var v) ? v as string : null);
                Set(message, plan, variable.FieldPath, text, overwrite: true);
            }
        }
        else
        {
            foreach (var (key, value) in routeValues)
            {
                if (value is string text && plan.ByName.TryGetValue(key, out var field)) message[field.JsonName] = FromText(field, text);
            }
        }
        if (grpc.Body != "*")
        {
            foreach (var (key, values) in context.Request.Query)
            {
                if (grpc.BodyField is { } bodyField && (key == bodyField.Name || key == bodyField.JsonName || key.StartsWith(bodyField.Name + ".", StringComparison.Ordinal))) continue;
                Set(message, plan, key, values, overwrite: false);
            }
        }
        var hasBody = context.Request.ContentLength > 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count > 0);
        if (hasBody && grpc.Body != "")
        {
            // A repeated member name is refused here (JsonException, a 400); JsonObject would throw on it later.
            var body = await JsonNode.ParseAsync(context.Request.Body, documentOptions: NoDuplicates, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            if (grpc.BodyField is { } bodyField) message[bodyField.JsonName] = body;
            else
            {
                if (body is not JsonObject fields) throw new GrpcTranscodeException("(body)", "expected a JSON object");
                foreach (var (name, value) in fields.ToList())
                {
                    fields.Remove(name);
                    var key = plan.ByName.TryGetValue(name, out var f) ? f.JsonName : name;
                    message.Remove(key);
                    message[name] = value;
                }
            }
        }
        using var document = JsonDocument.Parse(message.ToJsonString());
        return JsonToProtobuf.Write(plan, document.RootElement);
    }

    /// Sets the field at a dotted path from URL text, creating the messages on the way. A path that names no
    /// field, or passes through a value, is ignored.
    static void Set(JsonObject message, MessagePlan plan, string fieldPath, Microsoft.Extensions.Primitives.StringValues values, bool overwrite)
    {
        var target = message;
        var names = fieldPath.Split('.');
        for (var i = 0; i < names.Length; i++)
        {
            if (!plan.ByName.TryGetValue(names[i], out var field)) return;
            if (i == names.Length - 1)
            {
                if (!overwrite && target.ContainsKey(field.JsonName)) return;
                target[field.JsonName] = field.Repeated ? new JsonArray([.. values.Select(v => FromText(field, v ?? ""))]) : FromText(field, values.ToString());
                return;
            }
            if (field.Repeated || field.Message is not { WellKnown: WellKnownType.None } next) return;
            if (target[field.JsonName] is not JsonObject child)
            {
                if (target.ContainsKey(field.JsonName)) return;
                child = new JsonObject();
                target[field.JsonName] = child;
            }
            (target, plan) = (child, next);
        }
    }

    /// Text from a path or query: booleans become JSON booleans; other values stay strings, which proto3 JSON
    /// accepts for every number kind.
    static JsonNode? FromText(FieldPlan field, string text) =>
        field.Type == ProtoType.Bool && bool.TryParse(text, out var b) ? JsonValue.Create(b) : JsonValue.Create(text);

    /// With a client span, its trace context replaces the client's; without one (tracing off) the client's passes as it came.
    static Metadata Metadata(HttpContext context, GrpcRoute grpc, Activity? span)
    {
        var metadata = new Metadata();
        var headers = context.Request.Headers;
        var requestId = RequestTelemetry.Of(context) is { RequestIdHeader: { } idHeader, RequestId: { } id } ? (Header: idHeader.ToLowerInvariant(), Id: id) : default;
        foreach (var name in TracingHeaders)
        {
            if (span is not null && name is TraceContext.TraceParent or TraceContext.TraceState) continue;
            if (requestId.Header == name) continue;
            if (headers.TryGetValue(name, out var value) && value.Count > 0) metadata.Add(name, value.ToString());
        }
        TraceContext.Inject(span, metadata, static (m, name, value) => m.Add(name, value));
        if (requestId.Header is not null) metadata.Add(requestId.Header, requestId.Id);
        foreach (var (name, value) in grpc.RequestMetadata) metadata.Add(name, value);
        // Identity goes from the authenticated identity only; client credentials never leave the gateway.
        if (grpc.IdentityHeaders is { } names && context.Features.Get<GatewayIdentity>() is { } identity)
            identity.WriteHeaders(names, metadata, static (m, name, value) => m.Add(name.ToLowerInvariant(), value));
        return metadata;
    }

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Route {Route}: the answer of {Method} does not decode: {Reason}")]
    static partial void LogBadAnswer(ILogger logger, string route, string method, string reason);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Route {Route}: gRPC call {Method} ended with {Status}")]
    static partial void LogCallFailed(ILogger logger, string route, string method, StatusCode status);
}
