using System.Security.Cryptography;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Store;
using StackExchange.Redis;

namespace Portico.Auth;

/// A live session as the `session` scheme sees it.
internal sealed record SessionRecord(string Subject, IReadOnlyList<string> Scopes);

/// The store sessions live in could not be reached: the caller answers 503, never a silent 401.
internal sealed class SessionStoreUnavailableException(Exception inner) : Exception("the session store is unreachable", inner);

/// Sessions in the store the live config names: `auth.session.store`, else the top-level `store` — this process's
/// memory, or Redis shared by every node. Ids are 256 random bits, base64url.
internal sealed class Sessions(SessionStore memory, RuntimeHolder holder, RedisConnections redis)
{
    RedisSessionStore? Shared(SessionDefinition settings)
    {
        var store = holder.HasSnapshot ? holder.Current.Config.Store : null;
        return (settings.Store ?? store?.Kind ?? StoreKind.Memory) == StoreKind.Redis && store is { Kind: StoreKind.Redis }
            ? new RedisSessionStore(redis.Database(store))
            : null;
    }

    public async Task<string> CreateAsync(string subject, IReadOnlyList<string> scopes, SessionDefinition settings)
    {
        if (Shared(settings) is not { } shared)
        {
            memory.Sweep(settings.Ttl, settings.Idle);
            return memory.Create(subject, scopes);
        }
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await Guard(shared.CreateAsync(id, subject, scopes, settings.Ttl, settings.Idle)).ConfigureAwait(false);
        return id;
    }

    public async Task<SessionRecord?> FindAsync(string id, SessionDefinition settings)
    {
        if (id.Length is 0 or > 100) return null;
        if (Shared(settings) is not { } shared)
            return memory.Find(id, settings.Ttl, settings.Idle) is { } session ? new SessionRecord(session.Subject, session.Scopes) : null;
        return await Guard(shared.FindAsync(id, settings.Ttl, settings.Idle)).ConfigureAwait(false);
    }

    public async Task RemoveAsync(string id, SessionDefinition settings)
    {
        if (Shared(settings) is not { } shared)
        {
            memory.Remove(id);
            return;
        }
        await Guard(shared.RemoveAsync(id)).ConfigureAwait(false);
    }

    static async Task<T> Guard<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new SessionStoreUnavailableException(ex);
        }
    }

    static async Task Guard(Task call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new SessionStoreUnavailableException(ex);
        }
    }
}
