using Portico.Configuration;
using Portico.Hosting;
using Portico.Store;

namespace Portico.RateLimiting;

/// Compiles `rateLimits` for each snapshot. A policy whose definition (and store) is unchanged keeps its
/// counter across reloads, so a reload neither resets nor doubles anyone's quota.
internal sealed class RateLimitRegistry(RedisConnections redis) : IDisposable
{
    readonly Lock _gate = new();
    Dictionary<string, RateLimitPolicy> _live = new(StringComparer.Ordinal);

    public CompiledRateLimits Compile(PorticoConfig config, ClientAddress clients)
    {
        var store = config.Store ?? StoreDefinition.Memory;
        var next = new Dictionary<string, RateLimitPolicy>(StringComparer.Ordinal);
        var byName = new Dictionary<string, RateLimitPolicy>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var definition in config.RateLimits ?? [])
            {
                var inRedis = store.Kind == StoreKind.Redis;
                var identity = $"{definition.Fingerprint}|{(inRedis ? $"redis:{store.Connection}|{store.Timeout.Ticks}" : "memory")}";
                if (!_live.TryGetValue(identity, out var policy))
                {
                    // Connecting here (at startup or reload, up to the connect timeout) keeps connection setup off the request path.
                    IRateLimitCounter counter = inRedis ? new RedisRateLimitCounter(definition, redis.Database(store)) : new MemoryRateLimitCounter(definition);
                    policy = new RateLimitPolicy(definition, counter, inRedis);
                }
                else if (policy.Definition != definition)
                {
                    policy = new RateLimitPolicy(definition, policy.Counter, inRedis);
                }
                next[identity] = policy;
                byName[definition.Name] = policy;
            }
            foreach (var (identity, old) in _live)
            {
                if (!next.ContainsKey(identity)) old.Counter.Dispose();
            }
            _live = next;
        }
        return new CompiledRateLimits(byName, clients);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var policy in _live.Values) policy.Counter.Dispose();
            _live.Clear();
        }
    }
}

/// The rate limits of one snapshot; says which limit an endpoint gets.
internal sealed class CompiledRateLimits(IReadOnlyDictionary<string, RateLimitPolicy> policies, ClientAddress clientAddress)
{
    /// The route's own `rateLimit`, else its gateway's; `none` on the route opts out of the gateway default.
    public RateLimitEndpointPolicy? For(RouteDefinition route, GatewayDefinition gateway)
    {
        var name = route.RateLimit ?? gateway.RateLimit;
        if (name is null || name == RateLimitDefinition.None || !policies.TryGetValue(name, out var policy)) return null;
        return new RateLimitEndpointPolicy(policy, route.Name, $"route:{gateway.Name}/{route.Name}", clientAddress);
    }
}
