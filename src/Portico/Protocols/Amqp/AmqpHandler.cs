using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Portico.Http;
using Portico.Identity;
using Portico.Problems;
using Portico.Runtime;
using Portico.Services;
using Portico.Telemetry;
using RabbitMQ.Client;

namespace Portico.Protocols.Amqp;

/// Answers an AMQP route. A publish route sends the request body as a persistent message (content type,
/// generated message id, correlation id from `X-Correlation-Id`, identity and trace headers as message
/// headers) with the mandatory flag and answers 202 with the message id only once the broker confirmed it. An
/// RPC route publishes with reply-to = direct reply-to and answers with the reply. Whatever the broker did not
/// take is never reported accepted: not connected, nacked or unroutable → 503, refused → 502, no confirm or
/// reply in time → 504.
internal sealed partial class AmqpHandler(TimeProvider time, ILogger<AmqpHandler> logger)
{
    public const string MessageIdHeader = "Portico-Message-Id";
    public const string CorrelationIdHeader = "X-Correlation-Id";
    static readonly string[] TracingHeaders = ["traceparent", "tracestate", "baggage", "X-Request-Id"];

    public async Task HandleAsync(HttpContext context, GatewayRoute route, AmqpRoute amqp)
    {
        // The request is checked first: a bad one gets its 4xx whatever state the broker is in.
        var broker = amqp.Broker;
        var contentType = context.Request.ContentType;
        if (amqp.ContentTypes.Length > 0 && !Accepts(amqp.ContentTypes, contentType))
        {
            await Problem.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, Problem.Types.UnsupportedMediaType, "Unsupported Media Type",
                $"The body must be {string.Join(" or ", amqp.ContentTypes)}{(contentType is null ? " (the request has no Content-Type)" : $", not {contentType}")}.", null, route.Name).ConfigureAwait(false);
            return;
        }
        var share = BufferedBodyBudget.For(context);
        byte[]? body;
        try
        {
            // A new message is taken only while the process has room to buffer it (and an RPC reply); running ones finish.
            body = share is { HasRoom: false } ? null : await ReadBodyAsync(context, share).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await Problem.WriteAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? Problem.Types.RequestTooLarge : Problem.Types.BadRequest,
                Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(ex.StatusCode), ex.Message, null, route.Name).ConfigureAwait(false);
            return;
        }
        if (body is null)
        {
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable",
                "The gateway is buffering as many bodies as it may hold; retry shortly.", null, route.Name, BufferedBodyBudget.RetryAfter).ConfigureAwait(false);
            return;
        }
        if (amqp.RequiresJson && !IsJson(body))
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request",
                "The body is not valid JSON.", null, route.Name).ConfigureAwait(false);
            return;
        }
        var telemetry = RequestTelemetry.Of(context);
        if (!broker.IsConfigured || !broker.IsConnected) UpstreamCall.NotSent(amqp.Service, UpstreamMetrics.Kinds.Amqp, UpstreamMetrics.Outcomes.Unavailable, telemetry);
        if (!broker.IsConfigured)
        {
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.BrokerNotConfigured, "Service Unavailable",
                $"No message broker is configured for service '{amqp.Service.Name}' (its url is empty).", amqp.Service.Name, route.Name).ConfigureAwait(false);
            return;
        }
        if (!broker.IsConnected)
        {
            await Unavailable(context, route, amqp, null).ConfigureAwait(false);
            return;
        }

        var messageId = Guid.CreateVersion7().ToString();
        var routingKey = amqp.RoutingKey.Expand(context.Request.RouteValues);
        var call = UpstreamCall.Amqp(amqp.Service, BrokerAddress(amqp), amqp.Exchange, routingKey, amqp.Rpc, telemetry);
        var properties = Properties(context, amqp, messageId, contentType, call.Span, telemetry);
        AmqpOutcome outcome;
        try
        {
            outcome = amqp.Rpc
                ? await broker.CallAsync(amqp.Exchange, routingKey, properties, body, amqp.Timeout, context.RequestAborted).ConfigureAwait(false)
                : await broker.PublishAsync(amqp.Exchange, routingKey, properties, body, amqp.Timeout, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            call.End(UpstreamMetrics.Outcomes.Canceled);
            return;
        }
        catch
        {
            call.End(UpstreamMetrics.Outcomes.Error);
            throw;
        }
        call.End(OutcomeOf(outcome.Kind), outcome.Reply?.Status);
        if (!amqp.Rpc) amqp.Service.Metrics?.Published(amqp.Service.Name, PublishOutcomeOf(outcome.Kind));

        if (outcome.Kind != AmqpOutcomeKind.Accepted) LogNotAccepted(logger, route.Name, messageId, outcome.Kind, outcome.Detail ?? "");
        var service = amqp.Service.Name;
        var where = amqp.Exchange.Length == 0 ? $"routing key '{routingKey}' (default exchange)" : $"exchange '{amqp.Exchange}' with routing key '{routingKey}'";
        switch (outcome.Kind)
        {
            case AmqpOutcomeKind.Accepted when outcome.Reply is { ContentType: { } replyType } && Http.HeaderValue.Flaw(replyType) is { } flaw:
                // The reply's content type becomes the response's Content-Type: the responder's text, not ours to pass on broken.
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    $"The reply from service '{service}' has a content type that holds {flaw}.", service, route.Name).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.Accepted when outcome.Reply is { } reply:
                // The reply is in memory already: counted, so that new requests wait until it is sent.
                share?.Take(reply.Body.Length);
                if (!amqp.ResponseHeaders.IsEmpty) amqp.ResponseHeaders.ApplyTo(context.Response.Headers);
                await WriteReplyAsync(context, reply, messageId).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.Accepted:
                if (!amqp.ResponseHeaders.IsEmpty) amqp.ResponseHeaders.ApplyTo(context.Response.Headers);
                await WriteAcceptedAsync(context, messageId).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.Unroutable:
                await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.MessageUnroutable, "Service Unavailable",
                    $"The broker could not route the message to {where}: no queue is bound for it.", service, route.Name).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.Nacked:
                await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.MessageNacked, "Service Unavailable",
                    "The broker did not take the message (negative acknowledgement).", service, route.Name, broker.RecoveryInterval).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.Refused:
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.BrokerRefused, "Bad Gateway",
                    $"The broker refused the publish to {where}: {outcome.Detail}.", service, route.Name).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.TimedOut:
                await Problem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, Problem.Types.UpstreamTimeout, "Gateway Timeout",
                    amqp.Rpc ? $"No reply within {amqp.Timeout.TotalSeconds:0.###}s." : $"The broker did not confirm the message within {amqp.Timeout.TotalSeconds:0.###}s; it may or may not have been taken.",
                    service, route.Name).ConfigureAwait(false);
                break;
            case AmqpOutcomeKind.NotConfigured:
            case AmqpOutcomeKind.Unavailable:
            default:
                await Unavailable(context, route, amqp, outcome.Detail).ConfigureAwait(false);
                break;
        }
    }

    static Task Unavailable(HttpContext context, GatewayRoute route, AmqpRoute amqp, string? detail) =>
        Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.BrokerUnavailable, "Service Unavailable",
            $"The message broker of service '{amqp.Service.Name}' is not reachable{(detail is null ? "" : " (the connection broke)")}; nothing was published.",
            amqp.Service.Name, route.Name, amqp.Broker.RecoveryInterval);

    static string OutcomeOf(AmqpOutcomeKind kind) => kind switch
    {
        AmqpOutcomeKind.Accepted => UpstreamMetrics.Outcomes.Success,
        AmqpOutcomeKind.Unroutable => UpstreamMetrics.Outcomes.Unroutable,
        AmqpOutcomeKind.Nacked => UpstreamMetrics.Outcomes.Nacked,
        AmqpOutcomeKind.Refused => UpstreamMetrics.Outcomes.Refused,
        AmqpOutcomeKind.TimedOut => UpstreamMetrics.Outcomes.Timeout,
        _ => UpstreamMetrics.Outcomes.Unavailable,
    };

    static string PublishOutcomeOf(AmqpOutcomeKind kind) => kind switch
    {
        AmqpOutcomeKind.Accepted => UpstreamMetrics.Outcomes.Confirmed,
        AmqpOutcomeKind.Unroutable => UpstreamMetrics.Outcomes.Unroutable,
        AmqpOutcomeKind.Nacked => UpstreamMetrics.Outcomes.Nacked,
        AmqpOutcomeKind.TimedOut => UpstreamMetrics.Outcomes.Timeout,
        _ => UpstreamMetrics.Outcomes.Error,
    };

    /// The broker's scheme, host and port for spans and metrics: never its credentials or virtual host.
    static Uri? BrokerAddress(AmqpRoute amqp) =>
        amqp.Service.Definition.ProtocolSection is AmqpServiceDefinition { Broker: { } broker }
            ? new Uri($"{broker.Scheme}://{broker.Host}:{(broker.Port > 0 ? broker.Port : broker.Scheme == "amqps" ? 5671 : 5672)}")
            : null;

    /// Trace headers: the client span's context when there is one (the client's otherwise), and the request id.
    BasicProperties Properties(HttpContext context, AmqpRoute amqp, string messageId, string? contentType, Activity? span, RequestTelemetry? telemetry)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        var request = context.Request.Headers;
        foreach (var name in TracingHeaders)
        {
            if (span is not null && name is TraceContext.TraceParent or TraceContext.TraceState) continue;
            if (request.TryGetValue(name, out var value) && value.Count > 0) headers[name.ToLowerInvariant()] = value.ToString();
        }
        TraceContext.Inject(span, headers, static (h, name, value) => h[name] = value);
        if (telemetry is { RequestIdHeader: { } idHeader, RequestId: { } id }) headers[idHeader.ToLowerInvariant()] = id;
        // Identity goes from the authenticated identity only; client credentials never reach the broker.
        context.Features.Get<GatewayIdentity>()?.WriteHeaders(amqp.IdentityHeaders, headers, static (h, name, value) => h[name] = value);
        var clientCorrelation = request.TryGetValue(CorrelationIdHeader, out var correlation) && correlation.Count > 0 ? correlation.ToString() : null;
        // An RPC call matches its reply by correlation id, which must be unique: the client's travels as a header.
        if (amqp.Rpc && clientCorrelation is not null) headers[CorrelationIdHeader.ToLowerInvariant()] = clientCorrelation;
        return new BasicProperties
        {
            MessageId = messageId,
            CorrelationId = amqp.Rpc ? messageId : clientCorrelation,
            ContentType = contentType,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(time.GetUtcNow().ToUnixTimeSeconds()),
            AppId = "portico",
            Headers = headers.Count == 0 ? null : headers,
        };
    }

    static bool Accepts(string[] accepted, string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed)) return false;
        var mediaType = parsed.MediaType.Value ?? "";
        foreach (var type in accepted)
        {
            if (type.EndsWith("/*", StringComparison.Ordinal)
                ? type == "*/*" || mediaType.StartsWith(type[..^1], StringComparison.OrdinalIgnoreCase)
                : string.Equals(type, mediaType, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    static bool IsJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
            }
            return body.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// The body, or null when the process has no room to buffer it.
    static async Task<byte[]?> ReadBodyAsync(HttpContext context, BudgetShare? share)
    {
        using var body = await PooledBody.ReadAsync(context.Request.Body, context.Request.ContentLength, long.MaxValue, context.RequestAborted, share: share).ConfigureAwait(false);
        return body.OverBudget ? null : body.ToArray();
    }

    static async Task WriteAcceptedAsync(HttpContext context, string messageId)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers[MessageIdHeader] = messageId;
        response.Headers.CacheControl = "no-store";
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("messageId", messageId);
            json.WriteEndObject();
        }
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    static async Task WriteReplyAsync(HttpContext context, AmqpReply reply, string messageId)
    {
        var response = context.Response;
        response.StatusCode = reply.Status ?? StatusCodes.Status200OK;
        response.ContentType = reply.ContentType ?? "application/octet-stream";
        response.Headers[MessageIdHeader] = messageId;
        response.Headers.CacheControl = "no-store";
        response.ContentLength = reply.Body.Length;
        await response.Body.WriteAsync(reply.Body, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1811, Level = LogLevel.Warning, Message = "Route {Route}: message {MessageId} not accepted: {Outcome} {Detail}")]
    static partial void LogNotAccepted(ILogger logger, string route, string messageId, AmqpOutcomeKind outcome, string detail);
}
