using Microsoft.AspNetCore.OutputCaching;
using StackExchange.Redis;

namespace Portico.Caching;

/// Output-cache entries in Redis, shared by every gateway node: an entry is a string key with a TTL, and each tag is a
/// set of entry keys (expiring with its longest entry), so evicting a tag on one node evicts it for all. Written on
/// StackExchange.Redis directly so it shares the gateway's fail-fast connection (Redis down = a miss, never a hang).
internal sealed class RedisOutputCacheStore(IDatabase database) : IOutputCacheStore
{
    public const string EntryPrefix = "portico:cache:e:";
    public const string TagPrefix = "portico:cache:t:";

    public IDatabase Database => database;

    // Drops every entry named in the tag's set, then the set; one round trip, atomic.
    static readonly LuaScript Evict = LuaScript.Prepare("""
        local keys = redis.call('SMEMBERS', @tag)
        for i = 1, #keys do redis.call('DEL', keys[i]) end
        redis.call('DEL', @tag)
        return #keys
        """);

    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        await database.StringGetAsync(EntryPrefix + key).ConfigureAwait(false) is { IsNull: false } value ? (byte[]?)value : null;

    public async ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken)
    {
        var entry = EntryPrefix + key;
        var batch = database.CreateBatch();
        var tasks = new List<Task> { batch.StringSetAsync(entry, value, validFor) };
        foreach (var tag in tags ?? [])
        {
            tasks.Add(batch.SetAddAsync(TagPrefix + tag, entry));
            // GT: a set lives as long as its longest-lived entry.
            tasks.Add(batch.ExecuteAsync("PEXPIRE", TagPrefix + tag, (long)validFor.TotalMilliseconds, "GT"));
            tasks.Add(batch.ExecuteAsync("PEXPIRE", TagPrefix + tag, (long)validFor.TotalMilliseconds, "NX"));
        }
        batch.Execute();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken) =>
        await EvictAsync(database, tag).ConfigureAwait(false);

    /// Evicts a tag's entries; the count evicted.
    public static async Task<long> EvictAsync(IDatabase database, string tag) =>
        (long)await database.ScriptEvaluateAsync(Evict, new { tag = (RedisKey)(TagPrefix + tag) }).ConfigureAwait(false);
}
