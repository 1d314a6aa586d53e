using Polly.CircuitBreaker;
using Portico.LoadBalancing;
using Portico.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Services;

/// One call to a service through the same machinery as a proxied request: its retries (when the call may be
/// repeated) and retry budget, its circuit breaker, a destination from its balancer among the healthy ones, the
/// call under a timeout on its pooled invoker, and passive health reported. A subclass builds the request, reads
/// the answer and says what each failure means to its caller (an aggregate part, a GraphQL route…).
internal abstract class ServiceCall<TResult>(ServiceRuntime service, TimeSpan timeout, TimeProvider time, bool canRetry)
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
            _result = NoHealthyDestination();
            return ForwardOutcome.NotAttempted;
        }
        var destination = service.Balancer.Pick(available);
        destination.Enter();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var message = BuildMessage(destination);
            using var response = await service.Invoker.SendAsync(message, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            service.Destinations.ReportSuccess(destination);
            var (result, error, retryable) = await ReadAsync(response, status, linked.Token).ConfigureAwait(false);
            _result = result;
            return new ForwardOutcome(error, status, retryable && ReserveRetry(status));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            service.Destinations.ReportFailure(destination);
            _result = TimedOut(destination);
            return new ForwardOutcome(ForwarderError.RequestTimedOut, 0, false);
        }
        catch (HttpRequestException ex)
        {
            service.Destinations.ReportFailure(destination);
            _result = Unreachable(destination, ex);
            return new ForwardOutcome(ForwarderError.Request, 0, false);
        }
        finally
        {
            destination.Leave();
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
