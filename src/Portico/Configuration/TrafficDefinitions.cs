namespace Portico.Configuration;

internal enum StoreKind { Memory, Redis }

/// Where shared state (rate-limit counters) lives: in this process, or in Redis for every node sharing it.
/// <param name="Timeout">How long one Redis call may take before the store counts as down.</param>
internal sealed record StoreDefinition(StoreKind Kind, string? Connection, TimeSpan Timeout)
{
    public static readonly StoreDefinition Memory = new(StoreKind.Memory, null, TimeSpan.FromSeconds(1));
}

internal enum RateLimitAlgorithm { FixedWindow, SlidingWindow, TokenBucket, Concurrency }

/// What a Redis-backed limit does while Redis is unreachable.
internal enum StoreDownMode { Allow, Deny }

/// One named rate-limit policy from `rateLimits:`, attached to gateways and routes by name.
/// <param name="Limit">Requests per window; the bucket size for a token bucket; requests in flight for concurrency.</param>
/// <param name="Window">The window; for a token bucket, the time to refill <see cref="Limit"/> tokens; for
/// concurrency in Redis, how long a slot may be held before it lapses.</param>
/// <param name="Key">Key parts: consumer, ip, route, header:Name (several = one counter per combination).</param>
/// <param name="Segments">Segments per window of the in-memory sliding window.</param>
internal sealed record RateLimitDefinition(string Name, RateLimitAlgorithm Algorithm, int Limit, TimeSpan Window, IReadOnlyList<string> Key, StoreDownMode OnStoreDown, int Segments)
{
    /// The value `rateLimit:` takes on a route to opt out of its gateway's default policy.
    public const string None = "none";

    /// The largest `limit`: a billion per window (e.g. 10,000,000 a day fits easily); the counters' int permits allow it.
    public const int MaxLimit = 1_000_000_000;

    /// Equal for two definitions that count the same way; limiter state survives a reload when it is unchanged.
    public string Fingerprint => $"{Name}|{Algorithm}|{Limit}|{Window.Ticks}|{string.Join(',', Key)}|{Segments}";
}

/// One named response-cache policy from `cachePolicies:`, attached to routes by name. Only GET and HEAD are cached.
/// <param name="Ttl">How long a response is served from the cache; upstream `s-maxage`/`max-age` may shorten it.</param>
/// <param name="Vary">Request headers whose values are part of the key (besides gateway, method, host, path, query).</param>
/// <param name="Query">Query parameters in the key; null: all of them (sorted, so their order does not matter).</param>
/// <param name="IgnoreUpstreamCacheControl">Cache for <see cref="Ttl"/> whatever the upstream's Cache-Control says.</param>
internal sealed record CachePolicyDefinition(string Name, TimeSpan Ttl, IReadOnlyList<string> Vary, IReadOnlyList<string>? Query, bool IgnoreUpstreamCacheControl);
