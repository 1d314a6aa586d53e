using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Portico.Configuration;

namespace Portico.Resilience;

/// A service's Polly pipelines: the circuit breaker wraps every attempt; retries wrap the breaker and run
/// only for requests that are safe to repeat. Built once per service definition. `retry.attempts` counts
/// retries after the first call, so a request reaches the upstream at most attempts + 1 times.
internal sealed class ServiceResilience
{
    public ServiceResilience(ServiceDefinition service, TimeProvider time, Telemetry.UpstreamMetrics? metrics = null)
    {
        var name = service.Name;
        Definition = service.Retry;
        if (service.CircuitBreaker is { } cb)
        {
            Breaker = new ResiliencePipelineBuilder<ForwardOutcome> { TimeProvider = time, Name = service.Name }
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ForwardOutcome>
                {
                    FailureRatio = cb.FailureRatio,
                    MinimumThroughput = cb.MinimumThroughput,
                    SamplingDuration = cb.SamplingDuration,
                    BreakDuration = cb.BreakFor,
                    ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result.IsFailure || args.Outcome.Exception is not null and not OperationCanceledException),
                    StateProvider = BreakerState = new CircuitBreakerStateProvider(),
                    OnOpened = _ => Transition(metrics, name, "open"),
                    OnHalfOpened = _ => Transition(metrics, name, "half_open"),
                    OnClosed = _ => Transition(metrics, name, "closed"),
                })
                .Build();
        }
        if (service.Retry is { } retry)
        {
            Budget = new RetryBudget(retry.BudgetRatio, retry.BudgetMinPerSecond, time, metrics is null ? null : () => metrics.RetryBudgetExhausted(name));
            var budget = Budget;
            Retry = new ResiliencePipelineBuilder<ForwardOutcome> { TimeProvider = time, Name = service.Name }
                .AddRetry(new RetryStrategyOptions<ForwardOutcome>
                {
                    MaxRetryAttempts = retry.Attempts,
                    Delay = retry.Backoff,
                    MaxDelay = retry.MaxBackoff,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    // A suppressed 5xx already reserved its retry; a transport failure asks the budget now.
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is null
                        && (args.Outcome.Result.RetryReserved || (args.Outcome.Result.TransportFailure && budget.TryAcquireRetry()))),
                    OnRetry = _ =>
                    {
                        metrics?.Retried(name);
                        return ValueTask.CompletedTask;
                    },
                })
                .Build();
        }
    }

    static ValueTask Transition(Telemetry.UpstreamMetrics? metrics, string service, string state)
    {
        metrics?.BreakerTransition(service, state);
        return ValueTask.CompletedTask;
    }

    public RetryDefinition? Definition { get; }

    /// The breaker's current state (for the circuit breaker gauge); null without a breaker.
    public CircuitBreakerStateProvider? BreakerState { get; }
    public ResiliencePipeline<ForwardOutcome>? Breaker { get; }
    public ResiliencePipeline<ForwardOutcome>? Retry { get; }
    public RetryBudget? Budget { get; }
    public bool IsEmpty => Breaker is null && Retry is null;
}
