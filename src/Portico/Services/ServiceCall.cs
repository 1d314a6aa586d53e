using Polly.CircuitBreaker;
using Portico.LoadBalancing;
using Portico.Resilience;
using Portico.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Services;

/// One call to a service through the same machinery as a proxied request: its retries (when the call may be
/// repeated) and retry budget, its circuit breaker, a destination from its balancer among the healthy ones, the
/// call under a timeout on its pooled invoker, and passive health reported. A subclass builds the request, reads
/// the answer and says what each failure means to its caller (an aggregate part, a GraphQL route…).
/// Each attempt is one client span and one duration measurement (<see cref="UpstreamCall"/>) of <paramref name="kind"/>.
internal abstract class ServiceCall<TResult>(ServiceRuntime service, TimeSpan timeout, TimeProvider time, bool canRetry, string kind, RequestTelemetry? telemetry)
    where TResult : class
{
    int _count;
    TResult? _result;

    protected ServiceRuntime Service => service;

    public async Task<TResult> RunAsync(CancellationToken cancellationToken)
    {
        var resilience = service.Resilience;
        resilience.Budget?.RecordRequest();
        try
        {
            if (canRetry) await resilience.Retry!.ExecuteAsync(static (call, ct) => call.ThroughBreakerAsync(ct), this, cancellationToken).ConfigureAwait(false);
            else await ThroughBreakerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            UpstreamCall.NotSent(service, kind, UpstreamMetrics.Outcomes.CircuitOpen, telemetry);
            return CircuitOpen();
        }
        return _result ?? NotCalled();
    }

    ValueTask<ForwardOutcome> ThroughBreakerAsync(CancellationToken cancellationToken)
    {
        var breaker = service.Resilience.Breaker;
        return breaker is null ? OnceAsync(cancellationToken) : breaker.ExecuteAsync(static (call, ct) => call.OnceAsync(ct), this, cancellationToken);
    }

    async ValueTask<ForwardOutcome> OnceAsync(CancellationToken cancellationToken)
    {
        _count++;
        var available = service.Destinations.Available;
        if (available.Length == 0)
        {
            UpstreamCall.NotSent(service, kind, UpstreamMetrics.Outcomes.NoDestination, telemetry);
            _result = NoHealthyDestination();
            return ForwardOutcome.NotAttempted;
        }
        var destination = service.Balancer.Pick(available);
        destination.Enter();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var call = default(UpstreamCall);
        var outcome = UpstreamMetrics.Outcomes.Error;
        int? answered = null;
        try
        {
            using var message = BuildMessage(destination);
            call = UpstreamCall.Http(service, kind, destination.Url, message.Method.Method, telemetry);
            TraceContext.Inject(call.Span, message);
            if (telemetry is { RequestIdHeader: { } header, RequestId: { } id })
            {
                message.Headers.Remove(header);
                message.Headers.TryAddWithoutValidation(header, id);
            }
            using var response = await service.Invoker.SendAsync(message, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            answered = status;
            service.Destinations.ReportSuccess(destination);
            var (result, error, retryable) = await ReadAsync(response, status, linked.Token).ConfigureAwait(false);
            _result = result;
            outcome = error == ForwarderError.None ? UpstreamCall.OutcomeOf(status) : UpstreamMetrics.Outcomes.Error;
            return new ForwardOutcome(error, status, retryable && ReserveRetry(status));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            outcome = UpstreamMetrics.Outcomes.Timeout;
            service.Destinations.ReportFailure(destination);
            _result = TimedOut(destination);
            return new ForwardOutcome(ForwarderError.RequestTimedOut, 0, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = UpstreamMetrics.Outcomes.Canceled;
            throw;
        }
        catch (HttpRequestException ex)
        {
            outcome = UpstreamMetrics.Outcomes.ConnectError;
            service.Destinations.ReportFailure(destination);
            _result = Unreachable(destination, ex);
            return new ForwardOutcome(ForwarderError.Request, 0, false);
        }
        finally
        {
            destination.Leave();
            call.End(outcome, answered);
        }
    }

    /// A status the service's retry policy names, while attempts and the retry budget last.
    bool ReserveRetry(int status) =>
        canRetry && service.Resilience.Definition is { } definition && definition.OnStatus.Contains(status) && _count <= definition.Attempts
        && service.Resilience.Budget!.TryAcquireRetry();

    protected abstract HttpRequestMessage BuildMessage(DestinationState destination);

    /// The caller's result for an answer, what went wrong with it (None when nothing did) and whether another attempt
    /// could help (a status the retry policy may name).
    protected abstract ValueTask<(TResult Result, ForwarderError Error, bool Retryable)> ReadAsync(HttpResponseMessage response, int status, CancellationToken cancellationToken);

    protected abstract TResult NoHealthyDestination();
    protected abstract TResult TimedOut(DestinationState destination);
    protected abstract TResult Unreachable(DestinationState destination, HttpRequestException exception);
    protected abstract TResult CircuitOpen();
    protected abstract TResult NotCalled();
}
