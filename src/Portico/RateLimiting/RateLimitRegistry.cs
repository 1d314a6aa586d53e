using Portico.Configuration;
using Portico.Http;
using Portico.Store;

namespace Portico.RateLimiting;

/// Compiles `rateLimits` for each snapshot, in two steps like the service registry: <see cref="Prepare"/> builds
/// the new snapshot's policies without touching the live counters, <see cref="Commit"/> makes them live once the
/// whole snapshot compiled. A policy whose definition (and store) is unchanged keeps its counter across reloads,
/// so a reload neither resets nor doubles anyone's quota; a dropped counter is disposed only after the snapshots
/// that could still count with it have drained.
internal sealed class RateLimitRegistry(RedisConnections redis, TimeProvider time) : IDisposable
{
    readonly Lock _gate = new();
    Dictionary<string, RateLimitPolicy> _live = new(StringComparer.Ordinal);
    readonly HashSet<IRateLimitCounter> _retiring = [];

    /// The policies of a new config, reusing live counters by identity; new counters are created but nothing live changes.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The registry owns each counter: Commit retires (disposes) the ones a new config no longer uses")]
    public CompiledRateLimits Prepare(PorticoConfig config, ClientAddress clients)
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
                if (next.TryGetValue(identity, out var policy) || _live.TryGetValue(identity, out policy))
                {
                    if (policy.Definition != definition) policy = new RateLimitPolicy(definition, policy.Counter, inRedis);
                }
                else
                {
                    // Connecting here (at startup or reload, up to the connect timeout) keeps connection setup off the request path.
                    IRateLimitCounter counter = inRedis ? new RedisRateLimitCounter(definition, redis.Database(store)) : new MemoryRateLimitCounter(definition);
                    policy = new RateLimitPolicy(definition, counter, inRedis);
                }
                next[identity] = policy;
                byName[definition.Name] = policy;
            }
        }
        return new CompiledRateLimits(byName, clients) { ByIdentity = next };
    }

    /// Makes prepared policies live; counters no longer used are disposed once <paramref name="retireAfter"/>
    /// completes (the older snapshots have drained), so requests still counting with them are counted.
    public void Commit(CompiledRateLimits prepared, Task retireAfter)
    {
        lock (_gate)
        {
            var kept = prepared.ByIdentity.Values.Select(p => p.Counter).ToHashSet();
            foreach (var old in _live.Values.Select(p => p.Counter).Distinct().Where(c => !kept.Contains(c)))
            {
                _retiring.Add(old);
                _ = RetireAsync(old, retireAfter);
            }
            _live = new Dictionary<string, RateLimitPolicy>(prepared.ByIdentity, StringComparer.Ordinal);
        }
    }

    /// Disposes the counters prepared for a config that was then rejected; live counters keep their state.
    public void Discard(CompiledRateLimits prepared)
    {
        lock (_gate)
        {
            var live = _live.Values.Select(p => p.Counter).ToHashSet();
            foreach (var counter in prepared.ByIdentity.Values.Select(p => p.Counter).Distinct().Where(c => !live.Contains(c))) counter.Dispose();
        }
    }

    async Task RetireAsync(IRateLimitCounter counter, Task retireAfter)
    {
        // Bounded, in case a request never ends.
        await retireAfter.WaitAsync(TimeSpan.FromMinutes(10), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
        {
            if (!_retiring.Remove(counter)) return;
        }
        counter.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var counter in _live.Values.Select(p => p.Counter).Concat(_retiring).Distinct()) counter.Dispose();
            _live.Clear();
            _retiring.Clear();
        }
    }
}

/// The rate limits of one snapshot; says which limit an endpoint gets.
internal sealed class CompiledRateLimits(IReadOnlyDictionary<string, RateLimitPolicy> policies, ClientAddress clientAddress)
{
    /// The policies by identity (definition and store), as the registry keeps them live.
    internal IReadOnlyDictionary<string, RateLimitPolicy> ByIdentity { get; init; } = new Dictionary<string, RateLimitPolicy>();

    /// The route's own `rateLimit`, else its gateway's; `none` on the route opts out of the gateway default.
    public RateLimitEndpointPolicy? For(RouteDefinition route, GatewayDefinition gateway)
    {
        var name = route.RateLimit ?? gateway.RateLimit;
        if (name is null || name == RateLimitDefinition.None || !policies.TryGetValue(name, out var policy)) return null;
        return new RateLimitEndpointPolicy(policy, route.Name, $"route:{gateway.Name}/{route.Name}", clientAddress);
    }
}
