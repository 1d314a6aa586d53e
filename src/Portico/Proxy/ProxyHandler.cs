using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Portico.LoadBalancing;
using Portico.Problems;
using Portico.Resilience;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// Forwards a request of a proxied route: picks the target service and a destination, calls YARP's
/// forwarder, and turns failures into problem+json (502 unreachable, 503 unavailable, 504 timeout) that name
/// the service, never its address. Retries and the circuit breaker apply where the service configures them.
internal sealed partial class ProxyHandler(IHttpForwarder forwarder, ILogger<ProxyHandler> logger)
{
    internal IHttpForwarder Forwarder => forwarder;

    public Task HandleAsync(HttpContext context, ProxyRoute route)
    {
        var index = route.Split is null ? 0 : route.Split.Select(context);
        var service = route.Targets[index];
        var config = route.Configs[index];
        if (service.Resilience.IsEmpty) return ForwardOnceAsync(context, route, service, config);
        return ForwardResilientAsync(context, route, service, config);
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
        destination.Enter();
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, destination.Prefix, service.Invoker, config, route.Transformer).ConfigureAwait(false);
        }
        finally
        {
            destination.Leave();
        }
        if (error == ForwarderError.None)
        {
            service.Destinations.ReportSuccess(destination);
            return;
        }
        await FailedAsync(context, route, service, destination, error).ConfigureAwait(false);
    }

    async Task ForwardResilientAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config)
    {
        var resilience = service.Resilience;
        var canRetry = resilience.Retry is not null && IsSafeToRepeat(context);
        resilience.Budget?.RecordRequest();
        var state = new AttemptState(this, context, route, service, config);
        if (canRetry)
        {
            state.Feature = new ForwardAttemptFeature(resilience.Definition!.OnStatus, resilience.Budget!);
            context.Features.Set(state.Feature);
        }
        try
        {
            ForwardOutcome outcome;
            if (canRetry)
            {
                outcome = await resilience.Retry!.ExecuteAsync(static (s, _) => s.AttemptThroughBreakerAsync(), state, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                outcome = await state.AttemptThroughBreakerAsync().ConfigureAwait(false);
            }
            if (outcome.Error != ForwarderError.None && state.LastDestination is { } last)
                await FailedAsync(context, route, service, last, outcome.Error).ConfigureAwait(false);
            else if (outcome.Error == ForwarderError.None && state.NoDestination)
                await NoDestinationAsync(context, route, service).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            if (ex.RetryAfter is { } after) context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var retryAfter = context.Response.Headers.RetryAfter;
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.CircuitOpen, "Service Unavailable",
                $"Service '{service.Name}' is failing; requests are paused while it recovers.", service.Name, route.Name).ConfigureAwait(false);
            if (retryAfter.Count > 0) context.Response.Headers.RetryAfter = retryAfter;
        }
        finally
        {
            if (canRetry) context.Features.Set<ForwardAttemptFeature>(null);
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

    sealed class AttemptState(ProxyHandler owner, HttpContext context, ProxyRoute route, ServiceRuntime service, ForwarderRequestConfig config)
    {
        public ForwardAttemptFeature? Feature;
        public DestinationState? LastDestination;
        public bool NoDestination;

        public ValueTask<ForwardOutcome> AttemptThroughBreakerAsync()
        {
            var breaker = service.Resilience.Breaker;
            return breaker is null
                ? AttemptAsync()
                : breaker.ExecuteAsync(static (s, _) => s.AttemptAsync(), this, context.RequestAborted);
        }

        async ValueTask<ForwardOutcome> AttemptAsync()
        {
            if (Feature is { } f)
            {
                f.Attempt++;
                f.RetriesLeft = f.Attempt <= service.Resilience.Definition!.Attempts;
                f.RetryReserved = false;
                // A held-back 5xx left a status behind; the next attempt starts clean.
                if (f.Attempt > 1 && !context.Response.HasStarted) context.Response.Clear();
            }
            var available = service.Destinations.Available;
            if (available.Length == 0)
            {
                NoDestination = true;
                return new ForwardOutcome(ForwarderError.None, StatusCodes.Status503ServiceUnavailable, false);
            }
            var destination = service.Balancer.Pick(available);
            // After a failure prefer another destination when there is one.
            if (destination == LastDestination && available.Length > 1) destination = service.Balancer.Pick(available);
            LastDestination = destination;
            destination.Enter();
            ForwarderError error;
            try
            {
                error = await owner.Forwarder.SendAsync(context, destination.Prefix, service.Invoker, config, route.Transformer).ConfigureAwait(false);
            }
            finally
            {
                destination.Leave();
            }
            var outcome = new ForwardOutcome(error, context.Response.StatusCode, Feature?.RetryReserved ?? false);
            if (outcome.TransportFailure) service.Destinations.ReportFailure(destination);
            else if (error == ForwarderError.None) service.Destinations.ReportSuccess(destination);
            if (outcome.TransportFailure && Feature is { RetriesLeft: true } && !context.Response.HasStarted)
            {
                // Retrying: the failure must not reach the client, and YARP recorded it on the context.
                context.Features.Set<IForwarderErrorFeature>(null);
            }
            return outcome;
        }
    }

    async Task FailedAsync(HttpContext context, ProxyRoute route, ServiceRuntime service, DestinationState destination, ForwarderError error)
    {
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        switch (error)
        {
            case ForwarderError.RequestTimedOut:
                service.Destinations.ReportFailure(destination);
                LogUpstreamFailure(logger, route.Name, service.Name, destination.Prefix, error, exception?.Message);
                await Problem.WriteAsync(context, StatusCodes.Status504GatewayTimeout, Problem.Types.UpstreamTimeout, "Gateway Timeout",
                    $"Service '{service.Name}' did not answer in time.", service.Name, route.Name).ConfigureAwait(false);
                break;
            case ForwarderError.Request:
                service.Destinations.ReportFailure(destination);
                LogUpstreamFailure(logger, route.Name, service.Name, destination.Prefix, error, exception?.Message);
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
            case ForwarderError.RequestBodyClient:
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request",
                    "The request body could not be read.", service.Name, route.Name).ConfigureAwait(false);
                break;
            default:
                LogUpstreamFailure(logger, route.Name, service.Name, destination.Prefix, error, exception?.Message);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    $"Service '{service.Name}' failed while answering.", service.Name, route.Name).ConfigureAwait(false);
                break;
        }
    }

    static Task NoDestinationAsync(HttpContext context, ProxyRoute route, ServiceRuntime service) =>
        Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, "Service Unavailable",
            $"Service '{service.Name}' has no healthy destination.", service.Name, route.Name);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Route {Route}: service {Service} at {Destination} failed ({Error}): {Reason}")]
    static partial void LogUpstreamFailure(ILogger logger, string route, string service, string destination, ForwarderError error, string? reason);
}
