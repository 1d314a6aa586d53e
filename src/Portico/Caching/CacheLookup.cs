namespace Portico.Caching;

/// A request that may be served from the cache and missed the memory store (or the Redis store is in use): its key,
/// for the output cache to lock and store under. Set by <see cref="CacheLookupMiddleware"/> as a typed feature.
/// <param name="Local">The memory store, or null with the Redis store.</param>
/// <param name="Metrics">Where the outcome (hit, miss, stored) is recorded once the output cache has decided it.</param>
internal sealed record CacheLookup(string Key, PorticoCacheStore Store, MemoryResponseCache? Local, Telemetry.EdgeMetrics Metrics);
