using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Portico.Auth;

/// Sessions in this process's memory (one node). Keyed by the SHA-256 of the session id, so the store holds nothing
/// a client could present; ids are 256 random bits. Expired sessions are dropped when met and by <see cref="Sweep"/>.
internal sealed class SessionStore(TimeProvider time)
{
    internal sealed record Session(string Subject, IReadOnlyList<string> Scopes, DateTimeOffset Created)
    {
        public long LastSeenTicks;
    }

    readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    public string Create(string subject, IReadOnlyList<string> scopes)
    {
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        _sessions[Key(id)] = new Session(subject, scopes, now) { LastSeenTicks = now.UtcTicks };
        return id;
    }

    /// The live session for <paramref name="id"/>, touched; null when unknown or past its idle or absolute timeout.
    public Session? Find(string id, TimeSpan ttl, TimeSpan idle)
    {
        if (id.Length is 0 or > 100) return null;
        var key = Key(id);
        if (!_sessions.TryGetValue(key, out var session)) return null;
        var now = time.GetUtcNow();
        if (now - session.Created >= ttl || now.UtcTicks - Interlocked.Read(ref session.LastSeenTicks) >= idle.Ticks)
        {
            _sessions.TryRemove(key, out _);
            return null;
        }
        Interlocked.Exchange(ref session.LastSeenTicks, now.UtcTicks);
        return session;
    }

    public void Remove(string id) => _sessions.TryRemove(Key(id), out _);

    /// Drops every session past its timeouts (called on login, so the store cannot grow without bound).
    public void Sweep(TimeSpan ttl, TimeSpan idle)
    {
        var now = time.GetUtcNow();
        foreach (var (key, s) in _sessions)
        {
            if (now - s.Created >= ttl || now.UtcTicks - Interlocked.Read(ref s.LastSeenTicks) >= idle.Ticks) _sessions.TryRemove(key, out _);
        }
    }

    static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
