using System.Threading.RateLimiting;
using Portico.Configuration;

namespace Portico.RateLimiting;

/// A policy's counters in this process, one System.Threading.RateLimiting limiter per key. The partitioned
/// limiter replenishes all keys from one timer and drops a key's limiter once it has been idle (all permits
/// back) for a few seconds, so memory follows the number of active keys, not every key ever seen.
internal sealed class MemoryRateLimitCounter : IRateLimitCounter
{
    readonly PartitionedRateLimiter<string> _limiter;
    readonly bool _holdsLease;

    public MemoryRateLimitCounter(RateLimitDefinition definition)
    {
        _holdsLease = definition.Algorithm == RateLimitAlgorithm.Concurrency;
        // The partitioner runs on every acquire: it hands out one limiter factory made here, so asking costs a
        // lookup and no allocation (a factory lambda per call would allocate its closures each time).
        Func<string, RateLimiter> create = Factory(definition);
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, create));
    }

    static Func<string, RateLimiter> Factory(RateLimitDefinition d) => d.Algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => _ => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = d.Limit,
            Window = d.Window,
            QueueLimit = 0,
            AutoReplenishment = false,
        }),
        RateLimitAlgorithm.SlidingWindow => _ => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = d.Limit,
            Window = d.Window,
            SegmentsPerWindow = d.Segments,
            QueueLimit = 0,
            AutoReplenishment = false,
        }),
        RateLimitAlgorithm.TokenBucket => _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = d.Limit,
            // `limit` tokens per window, the same rate as the Redis bucket.
            ReplenishmentPeriod = BucketRefill(d).Period,
            TokensPerPeriod = BucketRefill(d).Tokens,
            QueueLimit = 0,
            AutoReplenishment = false,
        }),
        _ => _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = d.Limit, QueueLimit = 0 }),
    };

    /// How a token bucket refills `limit` tokens per window: one token per window/limit, or, when that is under a
    /// millisecond, the fewest tokens whose period reaches a millisecond, with the period that keeps the rate.
    internal static (TimeSpan Period, int Tokens) BucketRefill(RateLimitDefinition d)
    {
        var window = d.Window.Ticks;
        if (window / d.Limit >= TimeSpan.TicksPerMillisecond) return (TimeSpan.FromTicks(window / d.Limit), 1);
        // window < limit ms here, so limit * TicksPerMillisecond (at most 10^13) and window * tokens stay far from overflow.
        var tokens = (int)Math.Min(d.Limit, ((long)d.Limit * TimeSpan.TicksPerMillisecond + window - 1) / window);
        return (TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, window * tokens / d.Limit)), tokens);
    }

    public ValueTask<RateLimitDecision> AcquireAsync(string key)
    {
        RateLimitLease lease;
        try
        {
            lease = _limiter.AttemptAcquire(key);
        }
        catch (ObjectDisposedException)
        {
            // A reload replaced this policy while the request was routed to it; the new policy counts from now on.
            return ValueTask.FromResult(new RateLimitDecision(true, null, null, null));
        }
        var remaining = _limiter.GetStatistics(key)?.CurrentAvailablePermits;
        TimeSpan? retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : null;
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            return ValueTask.FromResult(new RateLimitDecision(false, 0, retryAfter, retryAfter ?? TimeSpan.FromSeconds(1)));
        }
        if (_holdsLease) return ValueTask.FromResult(new RateLimitDecision(true, remaining, null, null, lease));
        lease.Dispose();
        return ValueTask.FromResult(new RateLimitDecision(true, remaining, null, null));
    }

    public void Dispose() => _limiter.Dispose();
}
