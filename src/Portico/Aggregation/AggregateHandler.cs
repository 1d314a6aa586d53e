using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Portico.Http;
using Portico.Identity;
using Portico.Problems;
using Portico.Runtime;

namespace Portico.Aggregation;

/// Answers an aggregate route: runs its parts (each as soon as the parts it needs are done, fan-outs bounded),
/// shapes their results into one JSON document, and applies the failure policy: a failed optional part is
/// reported missing, a failed required part answers 502 naming it, the deadline answers 504.
internal sealed partial class AggregateHandler(PartCaller caller, TimeProvider time, ILogger<AggregateHandler> logger)
{
    readonly PartCaller _caller = caller;
    readonly ILogger _logger = logger;

    public const string MissingPartsHeader = "Portico-Missing-Parts";
    public const string ErrorsMember = "_errors";

    /// Request headers that carry the trace context to every part.
    static readonly string[] TracingHeaders = ["traceparent", "tracestate", "baggage", "X-Request-Id", "X-Correlation-Id"];

    public async Task HandleAsync(HttpContext context, GatewayRoute route, AggregateRoute aggregate)
    {
        using var deadline = new CancellationTokenSource(aggregate.Deadline, time);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        try
        {
            if (UnsafeClientHeaderValue(context, aggregate.Plan) is { } unsafeInput)
            {
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request", unsafeInput, null, route.Name).ConfigureAwait(false);
                return;
            }
            var share = BufferedBodyBudget.For(context);
            // A new aggregate starts only while the process has room for buffered bodies; running ones finish.
            if (share is not null && !share.HasRoom)
            {
                await WriteOverloadedAsync(context, route).ConfigureAwait(false);
                return;
            }
            byte[]? body = null;
            if (aggregate.ReadsBody)
            {
                using var read = await PooledBody.ReadAsync(context.Request.Body, context.Request.ContentLength, long.MaxValue, run.Token, share: share).ConfigureAwait(false);
                if (read.OverBudget)
                {
                    await WriteOverloadedAsync(context, route).ConfigureAwait(false);
                    return;
                }
                body = read.ToArray();
            }
            var state = new Run(this, context, route, aggregate, body, run, share);
            var outcomes = await state.ExecuteAsync().ConfigureAwait(false);
            if (context.RequestAborted.IsCancellationRequested) return;
            if (state.OverBudget)
            {
                await WriteOverloadedAsync(context, route).ConfigureAwait(false);
                return;
            }
            if (state.UnsafeServiceValue is { } refused)
            {
                LogUnsafeServiceValue(logger, route.Name, refused.Part, refused.Header, refused.Service, refused.Flaw);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.AggregatePartFailed, "Bad Gateway",
                    $"Service '{refused.Service}' answered a value for header '{refused.Header}' of part '{refused.Part}' that holds {refused.Flaw}.", refused.Service, route.Name).ConfigureAwait(false);
                return;
            }

            var plan = aggregate.Plan;
            for (var i = 0; i < outcomes.Length; i++)
            {
                var part = plan.Parts[i];
                if (outcomes[i].Succeeded || part.Definition.Optional) continue;
                if (outcomes[i].HitDeadline || (deadline.IsCancellationRequested && state.FirstRequiredFailure is null))
                {
                    await Problem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, Problem.Types.AggregateDeadline, "Gateway Timeout",
                        $"The aggregate did not complete within {aggregate.Deadline.TotalSeconds:0.###}s (part '{part.Name}' was still running).", null, route.Name).ConfigureAwait(false);
                    return;
                }
            }
            if (state.FirstRequiredFailure is { } failed)
            {
                var reason = outcomes[failed].Reason;
                LogRequiredPartFailed(logger, route.Name, plan.Parts[failed].Name, reason);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.AggregatePartFailed, "Bad Gateway",
                    $"Required part '{plan.Parts[failed].Name}' failed: {reason}.", aggregate.PartServices[failed].Name, route.Name).ConfigureAwait(false);
                return;
            }
            if (!aggregate.ResponseHeaders.IsEmpty) aggregate.ResponseHeaders.ApplyTo(context.Response.Headers);
            await WriteAnswerAsync(context, plan, outcomes, state.CacheControls, state.PartBytes, share).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the part calls were cancelled with it.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAggregateCrashed(logger, route.Name, ex);
            if (context.Response.HasStarted) context.Abort();
            else await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                "The aggregate could not be built.", null, route.Name).ConfigureAwait(false);
        }
    }

    /// Client input (route values, query parameters, headers) a part would send as a header value must be safe
    /// there (see <see cref="HeaderValue"/>); checked before any part is called, so nothing of a refused request leaves.
    static string? UnsafeClientHeaderValue(HttpContext context, AggregationPlan plan)
    {
        PartScope? scope = null;
        foreach (var part in plan.Parts)
        {
            foreach (var (name, template) in part.Headers)
            {
                foreach (var reference in template.References)
                {
                    if (reference.Source is ReferenceSource.Part or ReferenceSource.Item) continue;
                    scope ??= new PartScope(context.Request.RouteValues, [], null, context.Request);
                    var values = reference.Source == ReferenceSource.RouteValue ? new Microsoft.Extensions.Primitives.StringValues(scope.Value.Resolve(reference)) : scope.Value.ClientValues(reference);
                    foreach (var value in values)
                    {
                        if (HeaderValue.Flaw(value) is { } flaw)
                            return $"The value of {{{reference.Text}}}, sent to part '{part.Name}' as header '{name}', holds {flaw}.";
                    }
                }
            }
        }
        return null;
    }

    static Task WriteOverloadedAsync(HttpContext context, GatewayRoute route) =>
        Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable",
            "The gateway is buffering as many bodies as it may hold; retry shortly.", null, route.Name, BufferedBodyBudget.RetryAfter);

    static Task WriteAnswerAsync(HttpContext context, AggregationPlan plan, PartOutcome[] outcomes, IReadOnlyList<string?> cacheControls, long partBytes, BudgetShare? share)
    {
        var document = new JsonObject();
        List<(string Part, string Reason)>? missing = null;
        for (var i = 0; i < outcomes.Length; i++)
        {
            var part = plan.Parts[i];
            var outcome = outcomes[i];
            if (!outcome.Succeeded)
            {
                (missing ??= []).Add((part.Name, outcome.Reason ?? "failed"));
                if (plan.Definition.Shape == AggregateShape.Nested) document[part.Name] = null;
                continue;
            }
            var value = ResultShaper.Shape(part, outcome.Value);
            if (plan.Definition.Shape == AggregateShape.Merged && value is JsonObject fields)
            {
                var members = fields.ToList();
                fields.Clear();
                foreach (var (name, member) in members) document[name] = member;
            }
            else document[part.Name] = value;
        }
        var response = context.Response;
        if (missing is not null)
        {
            var errors = new JsonArray();
            foreach (var (part, reason) in missing) errors.Add((JsonNode)new JsonObject { ["part"] = part, ["detail"] = reason });
            document[ErrorsMember] = errors;
            response.Headers[MissingPartsHeader] = string.Join(", ", missing.Select(m => m.Part));
        }
        if (CacheControlMerge.Combine(cacheControls, missing is not null) is { } cacheControl) response.Headers.CacheControl = cacheControl;

        // Sized for the parts at once: doubling from a small buffer would leave a trail of large arrays behind.
        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(partBytes + 4096, Array.MaxLength));
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            document.WriteTo(writer);
        }
        // The answer is admitted already: it is counted, so that new requests wait until it is sent.
        share?.Take(buffer.Capacity);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    /// One request's run of the plan.
    sealed class Run(AggregateHandler owner, HttpContext context, GatewayRoute route, AggregateRoute aggregate, byte[]? body, CancellationTokenSource cancel,
        BudgetShare? share)
    {
        readonly JsonNode?[] _results = new JsonNode?[aggregate.Plan.Parts.Count];
        readonly List<string?> _cacheControls = [];
        readonly ByteBudget _budget = new(aggregate.Plan.Definition.MaxResponseSize);
        readonly List<KeyValuePair<string, string>> _flowHeaders = FlowHeaders(context, aggregate.IdentityHeaders);
        int _firstRequiredFailure = -1;
        UnsafeValue? _unsafeServiceValue;

        /// A service answered a value a later part would have sent as a header, and it was not safe there: the aggregate fails.
        public UnsafeValue? UnsafeServiceValue => Volatile.Read(ref _unsafeServiceValue);
        int _overBudget;
        long _partBytes;

        /// A part's answer found no room in the process's budget: the aggregate is answered 503.
        public bool OverBudget => Volatile.Read(ref _overBudget) != 0;

        /// Bytes of the parts' answers, to size the answer's buffer.
        public long PartBytes => Interlocked.Read(ref _partBytes);

        public int? FirstRequiredFailure => _firstRequiredFailure < 0 ? null : _firstRequiredFailure;

        public IReadOnlyList<string?> CacheControls
        {
            get
            {
                lock (_cacheControls) return [.. _cacheControls];
            }
        }

        public async Task<PartOutcome[]> ExecuteAsync()
        {
            var plan = aggregate.Plan;
            var tasks = new Task<PartOutcome>[plan.Parts.Count];
            // Stages are in dependency order, so every part's dependencies have a task before it starts.
            foreach (var stage in plan.Stages)
            {
                foreach (var part in stage) tasks[part.Index] = RunPartAsync(part, tasks);
            }
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        async Task<PartOutcome> RunPartAsync(PlanPart part, Task<PartOutcome>[] tasks)
        {
            PartOutcome outcome;
            try
            {
                outcome = await ComputeAsync(part, tasks).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                outcome = PartOutcome.Failure("cancelled", hitDeadline: !context.RequestAborted.IsCancellationRequested && _firstRequiredFailure < 0);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug on a part's path fails that part, never the whole request with a bare 500.
                LogPartCrashed(owner._logger, route.Name, part.Name, ex);
                outcome = PartOutcome.Failure("the gateway could not call it");
            }
            if (outcome.Succeeded) _results[part.Index] = outcome.Value;
            else if (!part.Definition.Optional && !outcome.HitDeadline && Interlocked.CompareExchange(ref _firstRequiredFailure, part.Index, -1) == -1)
            {
                // A required part failed: the answer is a 502 now, so the other calls stop.
                await cancel.CancelAsync().ConfigureAwait(false);
            }
            return outcome;
        }

        async Task<PartOutcome> ComputeAsync(PlanPart part, Task<PartOutcome>[] tasks)
        {
            foreach (var dependency in part.Dependencies)
            {
                if (!(await tasks[dependency].ConfigureAwait(false)).Succeeded)
                    return PartOutcome.Failure($"it needs part '{aggregate.Plan.Parts[dependency].Name}', which is missing");
            }
            cancel.Token.ThrowIfCancellationRequested();
            if (part.ForEach is not { } forEach)
            {
                var result = await CallAsync(part, null).ConfigureAwait(false);
                return result.Succeeded ? PartOutcome.Success(result.Value) : PartOutcome.Failure(result.Error!);
            }

            if (ValueTemplate.NodeAt(_results[forEach.PartIndex], forEach.Path) is not JsonArray items)
                return PartOutcome.Failure($"'{forEach.Text}' is not an array");
            if (items.Count > part.Definition.MaxItems)
                return PartOutcome.Failure($"'{forEach.Text}' has {items.Count} items, over the limit of {part.Definition.MaxItems}");
            var results = new JsonNode?[items.Count];
            using var slots = new SemaphoreSlim(part.Definition.Concurrency);
            string? error = null;
            var calls = new Task[items.Count];
            for (var i = 0; i < items.Count; i++) calls[i] = CallItemAsync(i);
            await Task.WhenAll(calls).ConfigureAwait(false);
            return error is null ? PartOutcome.Success(new JsonArray(results)) : PartOutcome.Failure(error);

            async Task CallItemAsync(int index)
            {
                await slots.WaitAsync(cancel.Token).ConfigureAwait(false);
                try
                {
                    if (Volatile.Read(ref error) is not null) return;
                    var result = await CallAsync(part, items[index]).ConfigureAwait(false);
                    if (result.Succeeded) results[index] = result.Value;
                    else Interlocked.CompareExchange(ref error, $"item {index}: {result.Error}", null);
                }
                finally
                {
                    slots.Release();
                }
            }
        }

        async Task<CallResult> CallAsync(PlanPart part, JsonNode? item)
        {
            var request = context.Request;
            var scope = new PartScope(request.RouteValues, _results, item, request);
            var path = part.Path.Render(scope, Uri.EscapeDataString, out var missing);
            if (path is null) return new CallResult(null, null, missing);
            var target = new System.Text.StringBuilder(path);
            var separator = path.Contains('?') ? '&' : '?';
            void AddQuery(string name, string encodedValue)
            {
                target.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(encodedValue);
                separator = '&';
            }
            foreach (var (name, template) in part.Query)
            {
                // {query.tag} alone passes every value the client sent (tag=a&tag=b), not one joined value.
                if (template.Only is { Source: ReferenceSource.Query } only)
                {
                    foreach (var each in scope.ClientValues(only)) AddQuery(name, Uri.EscapeDataString(each ?? ""));
                    continue;
                }
                var value = template.Render(scope, Uri.EscapeDataString, out missing);
                if (value is not null) AddQuery(name, value);
                else if (missing is not null) return new CallResult(null, null, missing);
            }
            var headers = new List<KeyValuePair<string, string>>(_flowHeaders);
            foreach (var (name, template) in part.Headers)
            {
                var value = template.Render(scope, static v => v, out missing);
                if (value is null)
                {
                    if (missing is not null) return new CallResult(null, null, missing);
                    continue;
                }
                if (HeaderValue.Flaw(value) is { } flaw)
                {
                    // Client input was checked before the run and literals at config load: the bad text came from a service.
                    var source = template.References.FirstOrDefault(r => r.Source is ReferenceSource.Part or ReferenceSource.Item && HeaderValue.Flaw(scope.Resolve(r)) is not null);
                    var provider = source is null ? part.Index : source.Source == ReferenceSource.Item ? part.ForEach!.PartIndex : source.PartIndex;
                    Interlocked.CompareExchange(ref _unsafeServiceValue, new UnsafeValue(aggregate.PartServices[provider].Name, part.Name, name, flaw), null);
                    await cancel.CancelAsync().ConfigureAwait(false);
                    return new CallResult(null, null, $"the value of header '{name}' holds {flaw}");
                }
                headers.Add(new(name, value));
            }
            var definition = part.Definition;
            var result = await owner._caller.CallAsync(new PartCaller.Request(route.Name, part.Name, aggregate.PartServices[part.Index], new HttpMethod(definition.Method),
                target.ToString(), headers, definition.Body ? body : null, definition.Body ? context.Request.ContentType : null,
                aggregate.PartTimeouts[part.Index], _budget, aggregate.RequestHeaders, share, Telemetry.RequestTelemetry.Of(context)), cancel.Token).ConfigureAwait(false);
            if (result.OverBudget && Interlocked.Exchange(ref _overBudget, 1) == 0)
            {
                // The answer is a 503 now, so the other calls stop and give their share back.
                await cancel.CancelAsync().ConfigureAwait(false);
            }
            if (result.Succeeded)
            {
                Interlocked.Add(ref _partBytes, result.Bytes);
                lock (_cacheControls) _cacheControls.Add(result.CacheControl);
            }
            return result;
        }

        /// Headers every part receives: the trace context and the caller's identity (set by edge authentication).
        static List<KeyValuePair<string, string>> FlowHeaders(HttpContext context, Configuration.IdentityHeadersDefinition identityHeaders)
        {
            var list = new List<KeyValuePair<string, string>>();
            foreach (var name in TracingHeaders)
            {
                if (context.Request.Headers.TryGetValue(name, out var value)) list.Add(new(name, value.ToString()));
            }
            context.Features.Get<GatewayIdentity>()?.WriteHeaders(identityHeaders, list, static (l, name, value) => l.Add(new(name, value)));
            return list;
        }
    }

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Route {Route}: part {Part} failed unexpectedly")]
    static partial void LogPartCrashed(ILogger logger, string route, string part, Exception exception);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Route {Route}: the aggregate failed unexpectedly")]
    static partial void LogAggregateCrashed(ILogger logger, string route, Exception exception);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Route {Route}: required part {Part} failed: {Reason}")]
    static partial void LogRequiredPartFailed(ILogger logger, string route, string part, string? reason);

    /// A value from a service's answer that could not be sent as a part's header.
    internal sealed record UnsafeValue(string Service, string Part, string Header, string Flaw);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Route {Route}: part {Part} header {Header} would carry {Flaw} from service {Service}; the aggregate is refused")]
    static partial void LogUnsafeServiceValue(ILogger logger, string route, string part, string header, string service, string flaw);
}
