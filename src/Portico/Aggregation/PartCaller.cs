using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Portico.Http;
using Portico.LoadBalancing;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Aggregation;

/// One HTTP call of a part to its service, through the same machinery as proxied requests: the service's
/// balancer and destinations (passive health), its pooled invoker, its circuit breaker and, for calls that are
/// safe to repeat, its retries and retry budget.
internal sealed partial class PartCaller(TimeProvider time, ILogger<PartCaller> logger)
{
    readonly TimeProvider _time = time;
    readonly ILogger _logger = logger;

    public sealed record Request(string Route, string Part, ServiceRuntime Service, HttpMethod Method, string PathAndQuery,
        IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, string? BodyType, TimeSpan Timeout, ByteBudget Budget,
        Runtime.HeaderTransformPlan HeaderEdits, BudgetShare? Share = null, Telemetry.RequestTelemetry? Telemetry = null);

    public Task<CallResult> CallAsync(Request request, CancellationToken cancellationToken)
    {
        var canRetry = request.Service.Resilience.Retry is not null && request.Body is null
            && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete);
        return new Call(this, request, canRetry).RunAsync(cancellationToken);
    }

    sealed class Call(PartCaller owner, Request request, bool canRetry) : ServiceCall<CallResult>(request.Service, request.Timeout, owner._time, canRetry, Telemetry.UpstreamMetrics.Kinds.Aggregate, request.Telemetry)
    {
        string Name => request.Service.Name;

        protected override async ValueTask<(CallResult, ForwarderError, bool)> ReadAsync(HttpResponseMessage response, int status, CancellationToken cancellationToken)
        {
            if (status is < 200 or > 299) return (new CallResult(null, null, $"service '{Name}' answered {status}"), ForwarderError.None, true);
            var result = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
            // No room in the gateway is not the service's fault: it does not count against its circuit.
            return (result, result.Succeeded || result.OverBudget ? ForwarderError.None : ForwarderError.ResponseBodyDestination, false);
        }

        protected override CallResult NoHealthyDestination() => new(null, null, $"service '{Name}' has no healthy destination");

        protected override CallResult TimedOut(DestinationState destination)
        {
            LogCallFailed(owner._logger, request.Route, request.Part, Name, destination.Prefix, "timed out");
            return new CallResult(null, null, $"service '{Name}' did not answer in time");
        }

        protected override CallResult Unreachable(DestinationState destination, HttpRequestException exception)
        {
            LogCallFailed(owner._logger, request.Route, request.Part, Name, destination.Prefix, exception.Message);
            return new CallResult(null, null, $"service '{Name}' could not be reached");
        }

        protected override CallResult CircuitOpen() => new(null, null, $"service '{Name}' is failing (circuit open)");

        protected override CallResult NotCalled() => new(null, null, $"service '{Name}' was not called");

        protected override HttpRequestMessage BuildMessage(DestinationState destination)
        {
            var message = new HttpRequestMessage(request.Method, destination.Prefix + request.PathAndQuery);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
            if (!request.HeaderEdits.IsEmpty) request.HeaderEdits.ApplyTo(message);
            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(request.Body);
                if (request.BodyType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", request.BodyType);
            }
            return message;
        }

        async Task<CallResult> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var service = request.Service.Name;
            var cacheControl = response.Headers.CacheControl?.ToString();
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var body = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, long.MaxValue, cancellationToken, request.Budget, request.Share).ConfigureAwait(false);
                if (body.OverBudget) return new CallResult(null, null, "the gateway has no room to buffer its answer now", OverBudget: true);
                if (body.TooLarge) return new CallResult(null, null, $"the answer of service '{service}' is over the aggregate's size limit");
                if (body.Length == 0) return new CallResult(null, cacheControl, null);
                try
                {
                    var value = JsonNode.Parse(body.Span);
                    // The parsed tree lives until the answer is written and costs about the body again: counted too.
                    request.Share?.Take(body.Length);
                    return new CallResult(value, cacheControl, null) { Bytes = body.Length };
                }
                catch (JsonException)
                {
                    return new CallResult(null, null, $"service '{service}' did not answer JSON");
                }
            }
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Route {Route}: part {Part} call to service {Service} at {Destination} failed: {Reason}")]
    static partial void LogCallFailed(ILogger logger, string route, string part, string service, string destination, string reason);
}
