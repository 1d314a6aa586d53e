using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Store;
using StackExchange.Redis;

namespace Portico.Caching;

/// Where cached responses live, following the live config. With the memory store they are this process's
/// <see cref="MemoryResponseCache"/>: kept there as they are served when a response is stored and served by
/// <see cref="CacheLookupMiddleware"/>, so the output cache's own lookups and writes have nothing to do. With
/// `store.kind: redis` the output cache stores and looks up entries in Redis, shared by every node; Redis being
/// unreachable makes lookups misses and skips storing (the route is served by its upstream as if it had no cache),
/// with a log line at most every few seconds.
internal sealed partial class PorticoCacheStore(ServerDefinition server, RuntimeHolder holder, RedisConnections redis, TimeProvider time, ILogger<PorticoCacheStore> logger)
    : IOutputCacheStore, IDisposable
{
    readonly Http.LogThrottle _unreachableLog = new(Http.LogThrottle.Default);
    readonly MemoryResponseCache _local = new(server.CacheSize);
    RedisOutputCacheStore? _shared;

    public TimeProvider Time => time;

    /// Larger bodies are not cached.
    public long MaxBodySize => server.CacheMaxBodySize;

    /// The memory store while the config uses it; null with the Redis store.
    public MemoryResponseCache? Local => Shared() is null ? _local : null;

    RedisOutputCacheStore? Shared()
    {
        if (!holder.HasSnapshot || holder.Current.Config.Store is not { Kind: StoreKind.Redis } store) return null;
        var database = redis.Database(store);
        var shared = _shared;
        if (shared is null || shared.Database != database) _shared = shared = new RedisOutputCacheStore(database);
        return shared;
    }

    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (Shared() is not { } shared) return null;
        try
        {
            return await shared.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Unreachable(ex);
            return null;
        }
    }

    public async ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken)
    {
        if (Shared() is not { } shared) return;
        try
        {
            await shared.SetAsync(key, value, tags, validFor, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Unreachable(ex);
        }
    }

    public async ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken)
    {
        _local.EvictByTag(tag);
        if (Shared() is { } shared) await shared.EvictByTagAsync(tag, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _local.Dispose();

    void Unreachable(Exception ex)
    {
        if (_unreachableLog.TryEnter(time, out var count)) LogUnreachable(logger, count, ex.Message);
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Response cache store (Redis) unreachable: {Count} lookups or writes skipped since the last line, routes served by their upstreams: {Error}")]
    static partial void LogUnreachable(ILogger logger, long count, string error);
}
