namespace Portico.RateLimiting;

/// Counts requests per key for one policy: in this process (<see cref="MemoryRateLimitCounter"/>) or in Redis
/// for every node (<see cref="RedisRateLimitCounter"/>).
internal interface IRateLimitCounter : IDisposable
{
    ValueTask<RateLimitDecision> AcquireAsync(string key);
}
