using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Portico.LoadBalancing;
using Portico.Problems;
using Portico.Resilience;
using Portico.Services;
using Portico.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// Forwards a request of a proxied route: picks the target service and a destination, calls YARP's
/// forwarder, and turns failures into problem+json (502 unreachable, 503 unavailable, 504 timeout) that name
/// the service, never its address. Retries and the circuit breaker apply where the service configures them.
internal sealed partial class ProxyHandler(IHttpForwarder forwarder, ILogger<ProxyHandler> logger, TimeProvider time)
{
    /// The common case in one async frame: one target without retries or a breaker, forwarded once; the snapshot
    /// lease the request holds is released when the response is done.
    public async Task ForwardDirectAsync(HttpContext context, ProxyRoute route, Runtime.RuntimeSnapshot lease)
    {
        var service = route.Targets[0];
        try
        {
            var available = service.Destinations.Available;
            if (available.Length == 0)
            {
                await NoDestinationAsync(context, route, service).ConfigureAwait(false);
                return;
            }
            var destination = service.Balancer.Pick(available);
            var error = await SendAsync(context, route, service, route.Configs[0], destination).ConfigureAwait(false);
            if (error != ForwarderError.None) await FailedAsync(context, route, service, destination, error).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception ex)
        {
            await UnexpectedAsync(context, route, service, ex).ConfigureAwait(false);
        }
        finally
        {
            lease.Exit();
        }
    }

    public async Task HandleAsync(HttpContext context, ProxyRoute route)
    {
        var index = route.Split is null ? 0 : route.Split.Select(context);
        var service = route.Targets[index];
        var config = route.Configs[index];
        try
        {
            if (service.Resilience.IsEmpty) await ForwardOnceAsync(context, route, service, config).ConfigureAwait(false);
            else await ForwardResilientAsync(context, route, service, config).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (for instance during a retry backoff); nobody is left to answer.
        }
        catch (Exception ex)
        {
            await UnexpectedAsync(context, route, service, ex).ConfigureAwait(false);
        }
    }

    /// A bug on the forwarding path still answers as a gateway error, never as a bare 500.
    Task UnexpectedAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, Exception ex)
    {
        LogUnexpectedFailure(logger, route.Name, service.Name, ex);
        if (!context.Response.HasStarted)
        {
            return Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                $"Service '{service.Name}' failed while answering.", service.Name, route.Name);
        }
        context.Abort();
        return Task.CompletedTask;
    }

    async Task ForwardOnceAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config)
    {
        var available = service.Destinations.Available;
        if (available.Length == 0)
        {
            await NoDestinationAsync(context, route, service).ConfigureAwait(false);
            return;
        }
        var destination = service.Balancer.Pick(available);
        var error = await SendAsync(context, route, service, config, destination).ConfigureAwait(false);
        if (error != ForwarderError.None) await FailedAsync(context, route, service, destination, error).ConfigureAwait(false);
    }

    async Task ForwardResilientAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config)
    {
        var resilience = service.Resilience;
        var canRetry = resilience.Retry is not null && IsSafeToRepeat(context);
        resilience.Budget?.RecordRequest();
        var feature = canRetry ? new ForwardAttemptFeature(resilience.Definition!.OnStatus, resilience.Budget!) : null;
        var state = new AttemptState(this, context, route, service, config, feature);
        if (feature is not null) context.Features.Set(feature);
        try
        {
            var outcome = canRetry
                ? await resilience.Retry!.ExecuteAsync(static (s, _) => s.AttemptThroughBreakerAsync(), state, context.RequestAborted).ConfigureAwait(false)
                : await state.AttemptThroughBreakerAsync().ConfigureAwait(false);
            if (state.NoDestination) await NoDestinationAsync(context, route, service).ConfigureAwait(false);
            else if (outcome.Error != ForwarderError.None) await FailedAsync(context, route, service, state.LastDestination!, outcome.Error).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            UpstreamCall.NotSent(service, UpstreamMetrics.Kinds.Proxy, UpstreamMetrics.Outcomes.CircuitOpen, RequestTelemetry.Of(context));
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.CircuitOpen, "Service Unavailable",
                $"Service '{service.Name}' is failing; requests are paused while it recovers.", service.Name, route.Name,
                ex.RetryAfter ?? service.Definition.CircuitBreaker?.BreakFor).ConfigureAwait(false);
        }
        finally
        {
            if (feature is not null) context.Features.Set<ForwardAttemptFeature>(null);
        }
    }

    /// Safe to send twice: an idempotent method and no request body.
    static bool IsSafeToRepeat(HttpContext context)
    {
        var method = context.Request.Method;
        if (!(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
              || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method)))
            return false;
        var body = context.Features.Get<IHttpRequestBodyDetectionFeature>();
        return body is { CanHaveBody: false } || context.Request.ContentLength == 0;
    }

    /// One call to one destination, with in-flight accounting and passive health bookkeeping.
    async ValueTask<ForwarderError> SendAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config, DestinationState destination)
    {
        destination.Enter();
        // The client span is current while YARP sends, so RouteTransformer writes its context into the request.
        var call = UpstreamCall.Http(service, UpstreamMetrics.Kinds.Proxy, destination.Url, context.Request.Method, RequestTelemetry.Of(context));
        var error = ForwarderError.Request;
        try
        {
            error = await forwarder.SendAsync(context, destination.Prefix, service.Invoker, config, route.Transformer).ConfigureAwait(false);
        }
        finally
        {
            destination.Leave();
            var status = error == ForwarderError.None ? context.Response.StatusCode : (int?)null;
            call.End(OutcomeOf(error, status), status);
        }
        Report(service, destination, error);
        return error;
    }

    /// The metric outcome of one forwarding attempt.
    static string OutcomeOf(ForwarderError error, int? status) => error switch
    {
        ForwarderError.None => UpstreamCall.OutcomeOf(status ?? 200),
        ForwarderError.Request => UpstreamMetrics.Outcomes.ConnectError,
        ForwarderError.RequestTimedOut => UpstreamMetrics.Outcomes.Timeout,
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled => UpstreamMetrics.Outcomes.Canceled,
        _ => UpstreamMetrics.Outcomes.Error,
    };

    /// Passive health: connection failures and timeouts count against the destination, a forwarded answer for it.
    static void Report(ServiceRuntime service, DestinationState destination, ForwarderError error)
    {
        if (error is ForwarderError.Request or ForwarderError.RequestTimedOut) service.Destinations.ReportFailure(destination);
        else if (error == ForwarderError.None) service.Destinations.ReportSuccess(destination);
    }

    sealed class AttemptState(ProxyHandler owner, HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config, ForwardAttemptFeature? feature)
    {
        List<DestinationState>? _tried;

        public DestinationState? LastDestination { get; private set; }
        public bool NoDestination { get; private set; }

        public ValueTask<ForwardOutcome> AttemptThroughBreakerAsync()
        {
            var breaker = service.Resilience.Breaker;
            return breaker is null
                ? AttemptAsync()
                : breaker.ExecuteAsync(static (s, _) => s.AttemptAsync(), this, context.RequestAborted);
        }

        async ValueTask<ForwardOutcome> AttemptAsync()
        {
            NoDestination = false;
            if (feature is not null)
            {
                feature.Attempt++;
                feature.RetriesLeft = feature.Attempt <= service.Resilience.Definition!.Attempts;
                feature.RetryReserved = false;
                if (feature.Attempt > 1 && !context.Response.HasStarted)
                {
                    // The previous attempt left only a status (held back, or YARP's error) and an error record. Headers stay:
                    // earlier middleware (a sticky-split cookie, for one) set them for whichever attempt answers.
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    if (context.Features.Get<IHttpResponseFeature>() is { } response) response.ReasonPhrase = null;
                    context.Features.Set<IForwarderErrorFeature>(null);
                }
            }
            var available = service.Destinations.Available;
            if (available.Length == 0)
            {
                NoDestination = true;
                return ForwardOutcome.NotAttempted;
            }
            var destination = Pick(available);
            LastDestination = destination;
            var error = await owner.SendAsync(context, route, service, config, destination).ConfigureAwait(false);
            return new ForwardOutcome(error, context.Response.StatusCode, feature?.RetryReserved ?? false);
        }

        /// The balancer's choice, but a retry goes to a destination not tried yet while there is one.
        DestinationState Pick(DestinationState[] available)
        {
            var destination = service.Balancer.Pick(available);
            if (_tried is null)
            {
                if (feature is not null) _tried = [destination];
                return destination;
            }
            if (_tried.Contains(destination))
            {
                var fresh = Array.FindAll(available, d => !_tried.Contains(d));
                if (fresh.Length > 0) destination = service.Balancer.Pick(fresh);
            }
            _tried.Add(destination);
            return destination;
        }
    }

    async Task FailedAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, DestinationState destination, ForwarderError error)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        switch (error)
        {
            case ForwarderError.RequestTimedOut:
                LogUpstreamFailure(route, service, destination, error, exception);
                await Problem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, Problem.Types.UpstreamTimeout, "Gateway Timeout",
                    $"Service '{service.Name}' did not answer in time.", service.Name, route.Name).ConfigureAwait(false);
                break;
            case ForwarderError.Request:
                LogUpstreamFailure(route, service, destination, error, exception);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamUnreachable, "Bad Gateway",
                    $"Service '{service.Name}' could not be reached.", service.Name, route.Name).ConfigureAwait(false);
                break;
            case ForwarderError.RequestCanceled:
            case ForwarderError.RequestBodyCanceled:
            case ForwarderError.ResponseBodyCanceled:
            case ForwarderError.UpgradeRequestCanceled:
            case ForwarderError.UpgradeResponseCanceled:
                // The client went away; nobody is left to answer.
                break;
            case ForwarderError.RequestBodyClient when FindBadRequest(exception) is { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                // A body without Content-Length grew past the limit while it was being forwarded.
                context.Response.Headers.Connection = "close";
                await Problem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Content Too Large",
                    "The request body is over the size limit.", service.Name, route.Name).ConfigureAwait(false);
                break;
            case ForwarderError.RequestBodyClient:
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request",
                    "The request body could not be read.", service.Name, route.Name).ConfigureAwait(false);
                break;
            default:
                LogUpstreamFailure(route, service, destination, error, exception);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    $"Service '{service.Name}' failed while answering.", service.Name, route.Name).ConfigureAwait(false);
                break;
        }
    }

    static BadHttpRequestException? FindBadRequest(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad) return bad;
        }
        return null;
    }

    static Task NoDestinationAsync(HttpContext context, ProxyRoute route, ServiceRuntime service)
    {
        UpstreamCall.NotSent(service, UpstreamMetrics.Kinds.Proxy, UpstreamMetrics.Outcomes.NoDestination, RequestTelemetry.Of(context));
        return Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, "Service Unavailable",
            $"Service '{service.Name}' has no healthy destination.", service.Name, route.Name);
    }

    /// At most one line every few seconds per destination: an outage would otherwise log every request.
    void LogUpstreamFailure(ProxyRoute route, ServiceRuntime service, DestinationState destination, ForwarderError error, Exception? exception)
    {
        if (destination.FailureLog.TryEnter(time, out var count))
            LogUpstreamFailure(logger, route.Name, service.Name, destination.Prefix, error, exception?.Message, count);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Route {Route}: service {Service} at {Destination} failed ({Error}): {Reason} ({Count} failures there since the last line)")]
    static partial void LogUpstreamFailure(ILogger logger, string route, string service, string destination, ForwarderError error, string? reason, long count);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Route {Route}: forwarding to service {Service} failed unexpectedly")]
    static partial void LogUnexpectedFailure(ILogger logger, string route, string service, Exception exception);
}
