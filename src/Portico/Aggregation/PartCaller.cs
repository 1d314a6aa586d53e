using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Portico.LoadBalancing;
using Portico.Resilience;
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
        IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, string? BodyType, TimeSpan Timeout, ResponseBudget Budget,
        Proxy.HeaderTransformPlan HeaderEdits);

    public async Task<CallResult> CallAsync(Request request, CancellationToken cancellationToken)
    {
        var resilience = request.Service.Resilience;
        var canRetry = resilience.Retry is not null && request.Body is null
            && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete);
        resilience.Budget?.RecordRequest();
        var attempt = new Attempt(this, request, canRetry);
        try
        {
            if (canRetry) await resilience.Retry!.ExecuteAsync(static (a, ct) => a.ThroughBreakerAsync(ct), attempt, cancellationToken).ConfigureAwait(false);
            else await attempt.ThroughBreakerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            return new CallResult(null, null, $"service '{request.Service.Name}' is failing (circuit open)");
        }
        return attempt.Result ?? new CallResult(null, null, $"service '{request.Service.Name}' was not called");
    }

    sealed class Attempt(PartCaller owner, Request request, bool canRetry)
    {
        int _count;
        public CallResult? Result { get; private set; }

        public ValueTask<ForwardOutcome> ThroughBreakerAsync(CancellationToken cancellationToken)
        {
            var breaker = request.Service.Resilience.Breaker;
            return breaker is null ? OnceAsync(cancellationToken) : breaker.ExecuteAsync(static (a, ct) => a.OnceAsync(ct), this, cancellationToken);
        }

        async ValueTask<ForwardOutcome> OnceAsync(CancellationToken cancellationToken)
        {
            _count++;
            var service = request.Service;
            var available = service.Destinations.Available;
            if (available.Length == 0)
            {
                Result = new CallResult(null, null, $"service '{service.Name}' has no healthy destination");
                return ForwardOutcome.NotAttempted;
            }
            var destination = service.Balancer.Pick(available);
            destination.Enter();
            using var timeout = new CancellationTokenSource(request.Timeout, owner._time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                using var message = BuildMessage(destination);
                using var response = await service.Invoker.SendAsync(message, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                service.Destinations.ReportSuccess(destination);
                if (status is < 200 or > 299)
                {
                    Result = new CallResult(null, null, $"service '{service.Name}' answered {status}");
                    var definition = service.Resilience.Definition;
                    var reserved = canRetry && definition is not null && definition.OnStatus.Contains(status) && _count <= definition.Attempts
                        && service.Resilience.Budget!.TryAcquireRetry();
                    return new ForwardOutcome(ForwarderError.None, status, reserved);
                }
                Result = await ReadAsync(response, linked.Token).ConfigureAwait(false);
                return new ForwardOutcome(Result.Succeeded ? ForwarderError.None : ForwarderError.ResponseBodyDestination, status, false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                service.Destinations.ReportFailure(destination);
                LogCallFailed(owner._logger, request.Route, request.Part, service.Name, destination.Prefix, "timed out");
                Result = new CallResult(null, null, $"service '{service.Name}' did not answer in time");
                return new ForwardOutcome(ForwarderError.RequestTimedOut, 0, false);
            }
            catch (HttpRequestException ex)
            {
                service.Destinations.ReportFailure(destination);
                LogCallFailed(owner._logger, request.Route, request.Part, service.Name, destination.Prefix, ex.Message);
                Result = new CallResult(null, null, $"service '{service.Name}' could not be reached");
                return new ForwardOutcome(ForwarderError.Request, 0, false);
            }
            finally
            {
                destination.Leave();
            }
        }

        HttpRequestMessage BuildMessage(DestinationState destination)
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

        async Task<CallResult> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var service = request.Service.Name;
            var cacheControl = response.Headers.CacheControl?.ToString();
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new ArrayBufferWriter<byte>(4096);
                while (true)
                {
                    var memory = buffer.GetMemory(8192);
                    var read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                    if (read == 0) break;
                    if (!request.Budget.TryTake(read)) return new CallResult(null, null, $"the answer of service '{service}' is over the aggregate's size limit");
                    buffer.Advance(read);
                }
                if (buffer.WrittenCount == 0) return new CallResult(null, cacheControl, null);
                try
                {
                    return new CallResult(JsonNode.Parse(buffer.WrittenSpan), cacheControl, null);
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

/// The bytes all parts of one aggregate may still read; shared by the parts of one request.
internal sealed class ResponseBudget(long limit)
{
    long _left = limit;

    public bool TryTake(int bytes) => Interlocked.Add(ref _left, -bytes) >= 0;
}
