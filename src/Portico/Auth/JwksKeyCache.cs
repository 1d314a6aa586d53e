using System.Collections.Concurrent;
using Portico.Configuration;

namespace Portico.Auth;

/// One <see cref="JwksKeySet"/> per (URL, refresh settings), kept across reloads so fetched keys and the refresh
/// throttle survive a config change that does not touch them.
internal sealed class JwksKeyCache(TimeProvider time) : IDisposable
{
    readonly ConcurrentDictionary<(Uri, TimeSpan, TimeSpan), Lazy<JwksKeySet>> _sets = new();
    readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };

    // Plain http is accepted only for loopback JWKS URLs (the validator refuses others).
    public JwksKeySet For(JwtDefinition jwt) =>
        _sets.GetOrAdd((jwt.Jwks!, jwt.JwksRefresh, jwt.JwksMinRefresh),
            key => new Lazy<JwksKeySet>(() => new JwksKeySet(key.Item1, _http, time, key.Item2, key.Item3))).Value;

    public void Dispose()
    {
        foreach (var set in _sets.Values)
        {
            if (set.IsValueCreated) set.Value.Dispose();
        }
        _http.Dispose();
    }
}
