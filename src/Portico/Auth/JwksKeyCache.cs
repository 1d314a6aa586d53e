using System.Collections.Concurrent;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Portico.Configuration;

namespace Portico.Auth;

/// One JWKS configuration manager per (URL, refresh settings), kept across reloads so fetched keys and the
/// refresh throttle survive a config change that does not touch them. The manager refreshes on its interval
/// and, when JwtBearer meets an unknown `kid`, at most once per <see cref="JwtDefinition.JwksMinRefresh"/>.
internal sealed class JwksKeyCache : IDisposable
{
    readonly ConcurrentDictionary<(Uri, TimeSpan, TimeSpan), ConfigurationManager<OpenIdConnectConfiguration>> _managers = new();
    readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };

    public ConfigurationManager<OpenIdConnectConfiguration> For(JwtDefinition jwt) =>
        _managers.GetOrAdd((jwt.Jwks!, jwt.JwksRefresh, jwt.JwksMinRefresh), static (key, http) =>
        {
            var (url, refresh, minRefresh) = key;
            // Plain http is accepted only for loopback JWKS URLs (the validator refuses others).
            var documents = new HttpDocumentRetriever(http) { RequireHttps = url.Scheme == Uri.UriSchemeHttps };
            return new ConfigurationManager<OpenIdConnectConfiguration>(url.AbsoluteUri, new JwksRetriever(), documents)
            {
                AutomaticRefreshInterval = refresh,
                RefreshInterval = minRefresh,
                // The published JWKS is the truth: a key the provider removed (perhaps compromised) stops working at the
                // next refresh instead of living on as a "last known good" configuration. A failed fetch keeps the current keys.
                UseLastKnownGoodConfiguration = false,
            };
        }, _http);

    public void Dispose() => _http.Dispose();
}
