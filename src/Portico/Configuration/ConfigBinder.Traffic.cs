namespace Portico.Configuration;

internal static partial class ConfigBinder
{
    static readonly Dictionary<string, RateLimitAlgorithm> AlgorithmNames = new(StringComparer.Ordinal)
    {
        ["fixed-window"] = RateLimitAlgorithm.FixedWindow,
        ["sliding-window"] = RateLimitAlgorithm.SlidingWindow,
        ["token-bucket"] = RateLimitAlgorithm.TokenBucket,
        ["concurrency"] = RateLimitAlgorithm.Concurrency,
    };

    static readonly Dictionary<string, StoreDownMode> StoreDownNames = new(StringComparer.Ordinal)
    {
        ["allow"] = StoreDownMode.Allow,
        ["deny"] = StoreDownMode.Deny,
    };

    static readonly Dictionary<string, StoreKind> StoreKindNames = new(StringComparer.Ordinal)
    {
        ["memory"] = StoreKind.Memory,
        ["redis"] = StoreKind.Redis,
    };

    /// `store`, `rateLimits` and `trustedProxies`: the top-level sections of traffic control.
    static (StoreDefinition Store, List<RateLimitDefinition> RateLimits, IReadOnlyList<string> TrustedProxies) BindTraffic(MappingReader root, List<ConfigError> errors)
    {
        var store = StoreDefinition.Memory;
        if (root.Node("store") is { } storeNode)
        {
            var s = new MappingReader(storeNode, errors, "the store");
            var kind = s.Enum("kind", StoreKindNames) ?? StoreKind.Memory;
            var connection = s.String("connection", required: kind == StoreKind.Redis, hint: "host:port of the Redis server, e.g. 127.0.0.1:6379");
            store = new StoreDefinition(kind, connection, s.Duration("timeout") ?? store.Timeout);
            s.Done();
        }

        var limits = new List<RateLimitDefinition>();
        foreach (var (key, value) in root.Entries("rateLimits"))
        {
            var p = new MappingReader(value, errors, $"rate limit '{key.Value}'");
            if (!p.Exists) continue;
            var algorithm = p.Enum("algorithm", AlgorithmNames);
            if (algorithm is null && !p.Has("algorithm")) p.Missing("algorithm", "fixed-window, sliding-window, token-bucket or concurrency");
            var limit = p.Int("limit", 1, RateLimitDefinition.MaxLimit);
            if (limit is null && !p.Has("limit")) p.Missing("limit", "how many requests, e.g. limit: 100");
            var window = p.Duration("window");
            if (window is null && !p.Has("window") && algorithm is not null and not RateLimitAlgorithm.Concurrency)
                p.Missing("window", "the time the limit applies to, e.g. window: 1m");
            var keyParts = p.StringList("key");
            limits.Add(new RateLimitDefinition(key.Value!, algorithm ?? RateLimitAlgorithm.FixedWindow, limit ?? 1, window ?? TimeSpan.FromMinutes(1),
                keyParts.Count == 0 ? ["ip"] : keyParts, p.Enum("onStoreDown", StoreDownNames) ?? StoreDownMode.Allow, p.Int("segments", 1, 1000) ?? 10));
            p.Done();
        }
        return (store, limits, root.StringList("trustedProxies"));
    }

    /// `cachePolicies`: named response-cache policies.
    static List<CachePolicyDefinition> BindCachePolicies(MappingReader root, List<ConfigError> errors)
    {
        var policies = new List<CachePolicyDefinition>();
        foreach (var (key, value) in root.Entries("cachePolicies"))
        {
            var p = new MappingReader(value, errors, $"cache policy '{key.Value}'");
            if (!p.Exists) continue;
            var ttl = p.Duration("ttl");
            if (ttl is null && !p.Has("ttl")) p.Missing("ttl", "how long responses are kept, e.g. ttl: 30s");
            policies.Add(new CachePolicyDefinition(key.Value!, ttl ?? TimeSpan.FromSeconds(30), p.StringList("vary"), p.Has("query") ? p.StringList("query") : null,
                p.Bool("ignoreUpstreamCacheControl") ?? false));
            p.Done();
        }
        return policies;
    }
}
