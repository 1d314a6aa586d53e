using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Portico.Auth;

/// Sessions in Redis, valid on every gateway node sharing it. One hash per session under the SHA-256 of its id (the
/// store holds nothing a client could present), with the subject, scopes and creation time (Redis's clock, so node
/// clocks don't matter). Each lookup is one script: past the absolute lifetime the session is deleted; otherwise its
/// expiry slides to the idle timeout (never past the absolute end).
internal sealed class RedisSessionStore(IDatabase database)
{
    const string Prefix = "portico:session:";

    static readonly LuaScript CreateScript = LuaScript.Prepare("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('HSET', @key, 'sub', @sub, 'scopes', @scopes, 'created', now)
        redis.call('PEXPIRE', @key, math.min(tonumber(@ttl), tonumber(@idle)))
        return 1
        """);

    static readonly LuaScript FindScript = LuaScript.Prepare("""
        local v = redis.call('HMGET', @key, 'sub', 'scopes', 'created')
        if not v[1] then return false end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local left = tonumber(v[3]) + tonumber(@ttl) - now
        if left <= 0 then
          redis.call('DEL', @key)
          return false
        end
        redis.call('PEXPIRE', @key, math.min(left, tonumber(@idle)))
        return { v[1], v[2] }
        """);

    public async Task CreateAsync(string id, string subject, IReadOnlyList<string> scopes, TimeSpan ttl, TimeSpan idle) =>
        await database.ScriptEvaluateAsync(CreateScript, new
        {
            key = Key(id),
            sub = subject,
            scopes = string.Join(' ', scopes),
            ttl = (long)ttl.TotalMilliseconds,
            idle = (long)idle.TotalMilliseconds,
        }).ConfigureAwait(false);

    public async Task<SessionRecord?> FindAsync(string id, TimeSpan ttl, TimeSpan idle)
    {
        var result = await database.ScriptEvaluateAsync(FindScript, new { key = Key(id), ttl = (long)ttl.TotalMilliseconds, idle = (long)idle.TotalMilliseconds })
            .ConfigureAwait(false);
        if (result.IsNull || result.Resp2Type != ResultType.Array) return null;
        var values = (RedisResult[])result!;
        var scopes = ((string?)values[1] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new SessionRecord((string)values[0]!, scopes);
    }

    public Task RemoveAsync(string id) => database.KeyDeleteAsync(Key(id));

    static RedisKey Key(string id) => Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
