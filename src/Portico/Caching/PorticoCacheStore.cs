using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Store;
using StackExchange.Redis;

namespace Portico.Caching;

/// The output cache's store, following the live config: this process's memory (bounded by `server.cache.size`), or
/// Redis when `store.kind` is redis, shared by every node. Redis being unreachable makes lookups misses and skips
/// storing (the route is served by its upstream as if it had no cache), with a log line at most every few seconds.
internal sealed partial class PorticoCacheStore(IOutputCacheStore memory, RuntimeHolder holder, RedisConnections redis, TimeProvider time, ILogger<PorticoCacheStore> logger)
    : IOutputCacheStore
{
    readonly Hosting.LogThrottle _unreachableLog = new(Hosting.LogThrottle.Default);

    public IOutputCacheStore Memory => memory;

    RedisOutputCacheStore? Redis() =>
        holder.HasSnapshot && holder.Current.Config.Store is { Kind: StoreKind.Redis } store ? new RedisOutputCacheStore(redis.Database(store)) : null;

    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (Redis() is not { } shared) return await memory.GetAsync(key, cancellationToken).ConfigureAwait(false);
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
        if (Redis() is not { } shared)
        {
            await memory.SetAsync(key, value, tags, validFor, cancellationToken).ConfigureAwait(false);
            return;
        }
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
        await memory.EvictByTagAsync(tag, cancellationToken).ConfigureAwait(false);
        if (Redis() is { } shared) await shared.EvictByTagAsync(tag, cancellationToken).ConfigureAwait(false);
    }

    void Unreachable(Exception ex)
    {
        if (_unreachableLog.TryEnter(time, out var count)) LogUnreachable(logger, count, ex.Message);
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Response cache store (Redis) unreachable: {Count} lookups or writes skipped since the last line, routes served by their upstreams: {Error}")]
    static partial void LogUnreachable(ILogger logger, long count, string error);
}
