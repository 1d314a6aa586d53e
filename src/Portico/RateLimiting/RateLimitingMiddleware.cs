using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Problems;
using Portico.Telemetry;

namespace Portico.RateLimiting;

/// Runs after routing: asks the endpoint's policy for a decision, writes RateLimit-Policy / RateLimit, and
/// answers 429 (over the limit) or 503 (store down, onStoreDown: deny) before anything reaches the handler.
internal sealed class RateLimitingMiddleware(RequestDelegate next, EdgeMetrics metrics, StoreFallbackLog fallbacks)
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string RateLimitHeader = "RateLimit";

    // Routes without a policy pass straight through, and so does an allowed request whose counter answered at
    // once without a lease to hold (the memory store, almost always): no async frame on those paths.
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RateLimitEndpointPolicy>() is not { } endpointPolicy) return next(context);
        var pending = endpointPolicy.Policy.Counter.AcquireAsync(endpointPolicy.KeyFor(context));
        if (!pending.IsCompletedSuccessfully) return DecideAsync(context, endpointPolicy, pending);
        var decision = pending.Result;
        if (!decision.Allowed || decision.StoreDown || decision.Lease is not null) return DecidedAsync(context, endpointPolicy, decision);
        Record(context, endpointPolicy.Policy, decision);
        return next(context);
    }

    async Task DecideAsync(HttpContext context, RateLimitEndpointPolicy endpointPolicy, ValueTask<RateLimitDecision> pending) =>
        await DecidedAsync(context, endpointPolicy, await pending.ConfigureAwait(false)).ConfigureAwait(false);

    async Task DecidedAsync(HttpContext context, RateLimitEndpointPolicy endpointPolicy, RateLimitDecision decision)
    {
        var policy = endpointPolicy.Policy;
        if (decision.StoreDown)
        {
            fallbacks.FellBack(policy.Definition, decision.StoreError);
            EdgeMetrics.RateLimitFellBack(context);
            if (policy.Definition.OnStoreDown == StoreDownMode.Allow)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.RateLimitStoreUnavailable, "Rate Limit Store Unavailable",
                $"The rate limit '{policy.Definition.Name}' cannot be checked right now, and it denies requests until it can.",
                route: endpointPolicy.Route, retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }
        Record(context, policy, decision);
        if (!decision.Allowed)
        {
            await Problem.WriteAsync(context, StatusCodes.Status429TooManyRequests, Problem.Types.RateLimited, "Too Many Requests",
                $"The rate limit '{policy.Definition.Name}' ({policy.Definition.Limit} {Per(policy.Definition)}) is used up; retry after the time in Retry-After.",
                route: endpointPolicy.Route, retryAfter: decision.RetryAfter).ConfigureAwait(false);
            return;
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            decision.Lease?.Dispose();
        }
    }

    /// Records a decision the store gave (allowed or not) and writes the RateLimit headers.
    void Record(HttpContext context, RateLimitPolicy policy, in RateLimitDecision decision)
    {
        if (policy.UsesStore) fallbacks.Answered(policy.Definition);
        metrics.RateLimitDecided(context, policy.Definition.Name, decision.Allowed);
        var headers = context.Response.Headers;
        headers[PolicyHeader] = policy.PolicyHeader;
        headers[RateLimitHeader] = policy.RateLimitHeader(decision);
    }

    static string Per(RateLimitDefinition d) => d.Algorithm switch
    {
        RateLimitAlgorithm.Concurrency => "requests at a time",
        RateLimitAlgorithm.TokenBucket => $"requests per {Duration(d.Window)}, bursts up to {d.Limit}",
        _ => $"requests per {Duration(d.Window)}",
    };

    static string Duration(TimeSpan t) => t.TotalHours >= 1 && t.TotalHours % 1 == 0 ? $"{t.TotalHours}h"
        : t.TotalMinutes >= 1 && t.TotalMinutes % 1 == 0 ? $"{t.TotalMinutes}m"
        : t.TotalSeconds >= 1 && t.TotalSeconds % 1 == 0 ? $"{t.TotalSeconds}s"
        : $"{t.TotalMilliseconds}ms";
}
