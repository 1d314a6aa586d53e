using System.Security.Cryptography;
using System.Text;
using Portico.Configuration;

namespace Portico.RateLimiting;

/// The Lua scripts that make one rate-limit decision atomically in Redis. Each reads the clock with Redis TIME,
/// so the gateway nodes' clocks never matter, and sets an expiry, so idle keys disappear on their own.
/// ARGV: limit, window in ms, a member id unique per request. Returns {allowed 0|1, remaining, reset ms or -1}.
internal static class RedisScripts
{
    /// Windows aligned to Redis time (epoch multiples of the window): every node counts into the same window.
    const string FixedWindow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local id = math.floor(now / window)
        local reset = (id + 1) * window - now
        local cur = redis.call('HMGET', KEYS[1], 'w', 'n')
        local n = 0
        if tonumber(cur[1]) == id then n = tonumber(cur[2]) end
        if n >= limit then return {0, 0, reset} end
        n = n + 1
        redis.call('HSET', KEYS[1], 'w', string.format('%d', id), 'n', n)
        redis.call('PEXPIRE', KEYS[1], reset)
        return {1, limit - n, reset}
        """;

    /// A sliding log: one sorted-set entry per admitted request, scored by its Redis time in microseconds.
    /// Exact: a request is admitted only if fewer than `limit` entries lie in the last window.
    const string SlidingWindow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2]) * 1000
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
        local n = redis.call('ZCARD', KEYS[1])
        local allowed = 0
        if n < limit then
          redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
          n = n + 1
          allowed = 1
        end
        local reset = 0
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        if oldest[2] then reset = math.ceil((tonumber(oldest[2]) + window - now) / 1000) end
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
        return {allowed, limit - n, reset}
        """;

    /// A token bucket of `limit` tokens refilled continuously at `limit` per window; state is {tokens, last ms}.
    const string TokenBucket = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local cap = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local rate = cap / window
        local s = redis.call('HMGET', KEYS[1], 'tk', 'ts')
        local tokens = tonumber(s[1])
        local ts = tonumber(s[2])
        if tokens == nil or ts == nil then tokens = cap; ts = now end
        tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
        local allowed = 0
        local retry = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tk', string.format('%.6f', tokens), 'ts', string.format('%.3f', now))
        local full = math.ceil((cap - tokens) / rate)
        redis.call('PEXPIRE', KEYS[1], full + 1000)
        if allowed == 1 then return {1, math.floor(tokens), full} end
        return {0, 0, retry}
        """;

    /// Requests in flight: one sorted-set entry per held slot, scored by when it lapses (now + lease time), so a
    /// slot of a node that died while holding it is reclaimed. Released with ZREM when the response completes.
    const string Concurrency = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local lease = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local n = redis.call('ZCARD', KEYS[1])
        if n >= limit then return {0, 0, -1} end
        redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
        redis.call('PEXPIRE', KEYS[1], lease)
        return {1, limit - n - 1, -1}
        """;

    public sealed record Script(string Text, byte[] Sha1);

    public static Script For(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => Fixed,
        RateLimitAlgorithm.SlidingWindow => Sliding,
        RateLimitAlgorithm.TokenBucket => Bucket,
        _ => Slots,
    };

    static readonly Script Fixed = Create(FixedWindow);
    static readonly Script Sliding = Create(SlidingWindow);
    static readonly Script Bucket = Create(TokenBucket);
    static readonly Script Slots = Create(Concurrency);

    // EVALSHA names a script by the SHA-1 of its exact text: an identifier Redis defines, not a security measure.
#pragma warning disable CA5350
    static Script Create(string text) => new(text, SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
}
