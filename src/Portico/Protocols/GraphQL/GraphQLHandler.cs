using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Portico.Http;
using Portico.Identity;
using Portico.LoadBalancing;
using Portico.Problems;
using Portico.Runtime;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Protocols.GraphQL;

/// Answers a GraphQL route: binds the operation's variables from the request (400 naming the variable when a
/// value does not fit, without calling the service), POSTs `{query, operationName, variables}` to the service
/// through its balancer, passive health, circuit breaker and (queries only) retries, and answers with `data` or
/// the `select`ed part of it. Errors without data become a mapped HTTP status; partial data answers 200 and
/// reports the errors in `_errors` and the `Portico-GraphQL-Errors` header.
internal sealed partial class GraphQLHandler(TimeProvider time, ILogger<GraphQLHandler> logger)
{
    public const string ErrorsHeader = "Portico-GraphQL-Errors";
    public const string ErrorsMember = "_errors";
    /// Answers larger than this are not read (502): the whole answer is parsed to pick `data` and `errors`.
    public const int MaxAnswerSize = 16 * 1024 * 1024;

    const string OverloadedDetail = "The gateway is buffering as many bodies as it may hold; retry shortly.";

    static readonly string[] TracingHeaders = ["traceparent", "tracestate", "baggage", "X-Request-Id", "X-Correlation-Id"];
    static readonly MediaTypeWithQualityHeaderValue GraphQLResponseType = new("application/graphql-response+json");
    static readonly MediaTypeWithQualityHeaderValue JsonType = new("application/json", 0.9);
    static readonly MediaTypeHeaderValue RequestType = new("application/json") { CharSet = "utf-8" };

    readonly TimeProvider _time = time;
    readonly ILogger _logger = logger;

    public async Task HandleAsync(HttpContext context, GatewayRoute route, GraphQLRoute graphql)
    {
        var operation = graphql.Operation;
        // A new call starts only while the process has room to buffer its answer; running ones finish.
        if (BufferedBodyBudget.For(context) is { HasRoom: false })
        {
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable", OverloadedDetail, null, route.Name,
                BufferedBodyBudget.RetryAfter).ConfigureAwait(false);
            return;
        }
        JsonObject variables;
        try
        {
            var body = await ReadBodyAsync(context).ConfigureAwait(false);
            variables = GraphQLVariables.Bind(operation.Variables, context.Request.RouteValues, context.Request.Query, body);
        }
        catch (VariableException ex)
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.InvalidVariable, "Bad Request", ex.Message + ".", null, route.Name,
                extensions: json => json.WriteString("variable", ex.Variable)).ConfigureAwait(false);
            return;
        }
        catch (JsonException ex)
        {
            await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request",
                $"The body must be a JSON object of variables: {ex.Message}", null, route.Name).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException ex)
        {
            await Problem.WriteAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? Problem.Types.RequestTooLarge : Problem.Types.BadRequest,
                Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(ex.StatusCode), ex.Message, null, route.Name).ConfigureAwait(false);
            return;
        }

        try
        {
            // A persisted query goes by its hash first; when the service does not know it yet, with the document.
            var sendsQuery = operation.Hash is null;
            var call = await CallAsync(context, route, graphql, Payload(operation, variables, sendsQuery)).ConfigureAwait(false);
            if (!sendsQuery && operation.Query is not null && call.Answer is { } first && first["data"] is null
                && first["errors"] is JsonArray errors && GraphQLErrorMapping.IsPersistedQueryNotFound(errors))
                call = await CallAsync(context, route, graphql, Payload(operation, variables, withQuery: true)).ConfigureAwait(false);
            if (call.Answer is { } answer) await WriteAnswerAsync(context, route, graphql, answer).ConfigureAwait(false);
            else await Problem.WriteAsync(context, call.Status, call.Type!, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(call.Status), call.Detail!,
                graphql.Service.Name, route.Name, call.Type == Problem.Types.Overloaded ? BufferedBodyBudget.RetryAfter : null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the call was cancelled with it.
        }
    }

    /// The request body's members, or null without a body.
    static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (!(request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))) return null;
        var node = await JsonNode.ParseAsync(request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return node as JsonObject ?? throw new JsonException($"found {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}");
    }

    static byte[] Payload(GraphQLOperation operation, JsonObject variables, bool withQuery)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            json.WriteStartObject();
            if (withQuery && operation.Query is { } query) json.WriteString("query", query);
            if (operation.OperationName is { } name) json.WriteString("operationName", name);
            json.WritePropertyName("variables");
            variables.WriteTo(json);
            if (operation.Hash is { } hash)
            {
                json.WriteStartObject("extensions");
                json.WriteStartObject("persistedQuery");
                json.WriteNumber("version", 1);
                json.WriteString("sha256Hash", hash);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    async Task WriteAnswerAsync(HttpContext context, GatewayRoute route, GraphQLRoute graphql, JsonObject answer)
    {
        var errors = answer["errors"] as JsonArray is { Count: > 0 } list ? list : null;
        JsonNode? selected = answer["data"];
        foreach (var member in graphql.Operation.Select) selected = (selected as JsonObject)?[member];
        if (selected is null)
        {
            if (errors is not null) await WriteErrorsAsync(context, route, graphql, errors).ConfigureAwait(false);
            else if (answer["data"] is null)
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    "The service's answer has neither data nor errors.", graphql.Service.Name, route.Name).ConfigureAwait(false);
            else
                await Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.GraphQLNull, "Not Found",
                    $"The service's answer has no value at '{string.Join('.', graphql.Operation.Select)}'.", graphql.Service.Name, route.Name).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        if (errors is not null)
        {
            LogPartialAnswer(_logger, route.Name, errors.Count);
            response.Headers[ErrorsHeader] = errors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers.CacheControl = "no-store";
        }
        if (!graphql.ResponseHeaders.IsEmpty) graphql.ResponseHeaders.ApplyTo(response.Headers);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            if (errors is not null && selected is JsonObject obj)
            {
                json.WriteStartObject();
                foreach (var (name, value) in obj)
                {
                    if (name == ErrorsMember) continue;
                    json.WritePropertyName(name);
                    if (value is null) json.WriteNullValue();
                    else value.WriteTo(json);
                }
                json.WriteStartArray(ErrorsMember);
                foreach (var error in errors) GraphQLErrorMapping.Write(json, error);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            else selected.WriteTo(json);
        }
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    Task WriteErrorsAsync(HttpContext context, GatewayRoute route, GraphQLRoute graphql, JsonArray errors)
    {
        var status = GraphQLErrorMapping.StatusOf(errors);
        LogErrorAnswer(_logger, route.Name, errors.Count, status);
        var messages = string.Join("; ", errors.Select(GraphQLErrorMapping.MessageOf));
        return Problem.WriteAsync(context, status, Problem.Types.GraphQLErrors, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
            $"The service answered with GraphQL errors: {messages}", graphql.Service.Name, route.Name, extensions: json =>
            {
                json.WriteStartArray("errors");
                foreach (var error in errors) GraphQLErrorMapping.Write(json, error);
                json.WriteEndArray();
            });
    }

    /// What one call produced: the service's GraphQL answer, or the problem to answer with.
    sealed record CallResult(JsonObject? Answer, int Status, string? Type, string? Detail)
    {
        public static CallResult Failed(int status, string type, string detail) => new(null, status, type, detail);
    }

    Task<CallResult> CallAsync(HttpContext context, GatewayRoute route, GraphQLRoute graphql, byte[] payload)
    {
        var canRetry = graphql.Service.Resilience.Retry is not null && !graphql.Operation.IsMutation;
        return new Call(this, context, route, graphql, payload, canRetry).RunAsync(context.RequestAborted);
    }

    sealed class Call(GraphQLHandler owner, HttpContext context, GatewayRoute route, GraphQLRoute graphql, byte[] payload, bool canRetry)
        : ServiceCall<CallResult>(graphql.Service, graphql.Timeout, owner._time, canRetry, Telemetry.UpstreamMetrics.Kinds.GraphQL, Telemetry.RequestTelemetry.Of(context))
    {
        string Name => graphql.Service.Name;

        protected override async ValueTask<(CallResult, ForwarderError, bool)> ReadAsync(HttpResponseMessage response, int status, CancellationToken cancellationToken)
        {
            JsonObject? answer;
            try
            {
                answer = await ReadAnswerAsync(response, BufferedBodyBudget.For(context), cancellationToken).ConfigureAwait(false);
            }
            catch (AnswerOverBudgetException)
            {
                // No room in the gateway is not the service's fault: it does not count against its circuit.
                return (CallResult.Failed(StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, OverloadedDetail), ForwarderError.None, false);
            }
            catch (AnswerTooLargeException)
            {
                return (CallResult.Failed(StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, $"The answer of service '{Name}' is larger than {MaxAnswerSize / (1024 * 1024)} MiB."),
                    ForwarderError.ResponseBodyDestination, false);
            }
            if (answer is not null) return (new CallResult(answer, status, null, null), ForwarderError.None, false);
            if (status is >= 200 and <= 299)
                return (CallResult.Failed(StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, $"Service '{Name}' did not answer a GraphQL response."), ForwarderError.ResponseBodyDestination, false);
            return (CallResult.Failed(StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, $"Service '{Name}' answered {status}."), ForwarderError.None, true);
        }

        protected override CallResult NoHealthyDestination() =>
            CallResult.Failed(StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, $"Service '{Name}' has no healthy destination.");

        protected override CallResult TimedOut(DestinationState destination)
        {
            LogCallFailed(owner._logger, route.Name, Name, destination.Prefix, "timed out");
            return CallResult.Failed(StatusCodes.Status504GatewayTimeout, Problem.Types.UpstreamTimeout, $"Service '{Name}' did not answer within {graphql.Timeout.TotalSeconds:0.###}s.");
        }

        protected override CallResult Unreachable(DestinationState destination, HttpRequestException exception)
        {
            LogCallFailed(owner._logger, route.Name, Name, destination.Prefix, exception.Message);
            return CallResult.Failed(StatusCodes.Status502BadGateway, Problem.Types.UpstreamUnreachable, $"Service '{Name}' could not be reached.");
        }

        protected override CallResult CircuitOpen() =>
            CallResult.Failed(StatusCodes.Status503ServiceUnavailable, Problem.Types.CircuitOpen, $"Service '{Name}' is failing (circuit open).");

        protected override CallResult NotCalled() => CallResult.Failed(StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, $"Service '{Name}' was not called.");

        protected override HttpRequestMessage BuildMessage(DestinationState destination)
        {
            var message = new HttpRequestMessage(HttpMethod.Post, destination.Prefix) { Content = new ByteArrayContent(payload) };
            message.Content.Headers.ContentType = RequestType;
            message.Headers.Accept.Add(GraphQLResponseType);
            message.Headers.Accept.Add(JsonType);
            var headers = context.Request.Headers;
            foreach (var name in TracingHeaders)
            {
                if (headers.TryGetValue(name, out var value) && value.Count > 0) message.Headers.TryAddWithoutValidation(name, value.ToString());
            }
            // Identity goes from the authenticated identity only; client credentials never leave the gateway.
            context.Features.Get<GatewayIdentity>()?.WriteHeaders(graphql.IdentityHeaders, message.Headers, static (h, name, value) => h.TryAddWithoutValidation(name, value));
            if (!graphql.RequestHeaders.IsEmpty) graphql.RequestHeaders.ApplyTo(message);
            return message;
        }

        /// The answer as a GraphQL response (a JSON object with `data` or `errors`, whatever the status), or null.
        static async Task<JsonObject?> ReadAnswerAsync(HttpResponseMessage response, BudgetShare? share, CancellationToken cancellationToken)
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var body = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, MaxAnswerSize, cancellationToken, share: share).ConfigureAwait(false);
                if (body.OverBudget) throw new AnswerOverBudgetException();
                if (body.TooLarge) throw new AnswerTooLargeException();
                try
                {
                    return JsonNode.Parse(body.Span) is JsonObject answer && (answer.ContainsKey("data") || answer.ContainsKey("errors")) ? answer : null;
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }
    }

    sealed class AnswerTooLargeException : Exception;

    sealed class AnswerOverBudgetException : Exception;

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Route {Route}: GraphQL call to service {Service} at {Destination} failed: {Reason}")]
    static partial void LogCallFailed(ILogger logger, string route, string service, string destination, string reason);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "Route {Route}: the GraphQL answer has {Count} error(s) and no data; answering {Status}")]
    static partial void LogErrorAnswer(ILogger logger, string route, int count, int status);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Information, Message = "Route {Route}: partial GraphQL answer with {Count} error(s)")]
    static partial void LogPartialAnswer(ILogger logger, string route, int count);
}
