using System.Net;
using System.Text.RegularExpressions;

namespace Portico.Configuration;

/// Checks of the `auth:` section and of the schemes and scopes routes and gateways ask for.
internal static partial class ConfigValidator
{
    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex KeyHashRegex();

    static void ValidateAuth(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors)
    {
        void Error(string path, string message, string? hint = null) => errors.Add(new ConfigError(path, message, where.Find(path), hint));
        var auth = config.Auth ?? AuthDefinition.None;
        var defined = auth.Schemes;

        void CheckSchemes(IReadOnlyList<string>? schemes, string path)
        {
            foreach (var s in schemes ?? [])
            {
                if (!AuthSchemes.Known.Contains(s))
                    Error(path, $"unknown auth scheme '{s}'", Suggest.DidYouMean(s, AuthSchemes.Known) ?? $"the schemes are: {string.Join(", ", AuthSchemes.Known)}");
                else if (!defined.Contains(s))
                    Error(path, $"auth scheme '{s}' is not configured", $"add auth.{s} to the configuration");
            }
        }

        foreach (var g in config.Gateways) CheckSchemes(g.Auth, $"gateways.{g.Name}.auth");
        foreach (var r in config.Routes)
        {
            var rp = r.ConfigPath;
            CheckSchemes(r.Auth, $"{rp}.auth");
            if (r.Anonymous && r.Auth is { Count: > 0 })
                Error($"{rp}.anonymous", "the route is anonymous but lists auth schemes", "keep one: anonymous: true, or auth: [...]");
            foreach (var gateway in config.Gateways.Where(g => r.Gateways is null || r.Gateways.Contains(g.Name)))
            {
                var schemes = r.SchemesOn(gateway);
                if (schemes.Count == 0 && r.Scopes is { Count: > 0 })
                    Error($"{rp}.scopes", $"the route requires scopes but accepts no credentials on gateway '{gateway.Name}'", "add auth: [apikey, jwt] to the route (or to the gateway)");
                if (schemes.Count == 0 && r.Claims is { Count: > 0 })
                    Error($"{rp}.claims", $"the route requires claims but accepts no credentials on gateway '{gateway.Name}'", "add auth: [jwt] to the route (or to the gateway)");
            }
        }

        if (auth.ApiKey is { } key)
        {
            if (!TokenRegex().IsMatch(key.Header)) Error("auth.apikey.header", $"'{key.Header}' is not a valid header name");
            if (key.QueryParameter is { Length: 0 }) Error("auth.apikey.query", "the query parameter name is empty");
        }
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in auth.Consumers)
        {
            foreach (var g in c.Groups ?? [])
                if (!NameRegex().IsMatch(g)) Error($"auth.consumers.{c.Id}.groups", $"'{g}' is not a valid group name", "use letters, digits, '.', '_' and '-'");
            var cp = $"auth.consumers.{c.Id}";
            if (!NameRegex().IsMatch(c.Id)) Error(cp, $"'{c.Id}' is not a valid consumer id", "use letters, digits, '.', '_' and '-'");
            if (c.Keys.Count > 0 && auth.ApiKey is null && auth.Basic is null) Error($"{cp}.keys", "the consumer has API keys but neither auth.apikey nor auth.basic is configured", "add auth: { apikey: { header: X-Api-Key } }");
            for (var i = 0; i < c.Keys.Count; i++)
            {
                var kp = where.Has($"{cp}.keys[{i}]") ? $"{cp}.keys[{i}]" : $"{cp}.keys";
                var hash = c.Keys[i].Hash;
                if (!KeyHashRegex().IsMatch(hash))
                    Error(kp, "not a key hash", "write sha256: followed by 64 lowercase hex digits, as printed by 'portico keys create' or 'portico keys hash' (never the key itself)");
                else if (hashes.TryGetValue(hash, out var owner))
                    Error(kp, $"the same key hash is already listed for consumer '{owner}'", "each key belongs to one consumer");
                else hashes[hash] = c.Id;
            }
        }
        if (auth.Basic is { } basic && (basic.Realm.Length == 0 || basic.Realm.Contains('"')))
            Error("auth.basic.realm", $"'{basic.Realm}' is not a usable realm", "a short name without quotes, e.g. portico");
        if (auth.Session is { } session)
        {
            if (!config.Services.Any(s => s.Name == session.LoginService))
                Error("auth.session.login.service", $"unknown service '{session.LoginService}'", Suggest.DidYouMean(session.LoginService, config.Services.Select(s => s.Name)));
            foreach (var (sessionKey, path) in new[] { ("login.path", session.VerifyPath), ("loginPath", session.LoginPath), ("logoutPath", session.LogoutPath) })
            {
                if (!path.StartsWith('/')) Error($"auth.session.{sessionKey}", $"'{path}' must start with '/'");
            }
            if (!TokenRegex().IsMatch(session.Cookie)) Error("auth.session.cookie", $"'{session.Cookie}' is not a valid cookie name");
            if (session.Idle > session.Ttl) Error("auth.session.idle", "the idle timeout is longer than the session's lifetime (ttl)", "e.g. ttl: 8h, idle: 30m");
            if (session.Store == StoreKind.Redis && config.Store is not { Kind: StoreKind.Redis })
                Error("auth.session.store", "sessions in Redis need the Redis connection of the top-level store", "add store: { kind: redis, connection: \"127.0.0.1:6379\" }");
        }
        if (auth.Jwt is { } jwt)
        {
            foreach (var alg in jwt.Algorithms.Where(a => !JwtDefinition.SupportedAlgorithms.Contains(a)))
                Error("auth.jwt.algorithms", $"'{alg}' is not an accepted algorithm",
                    $"use asymmetric algorithms only ({string.Join(", ", JwtDefinition.SupportedAlgorithms)}); 'none' and HMAC (HS256…) are refused so a public key can never sign a token");
            if (jwt.Audiences.Count == 0) Error("auth.jwt.audience", "no audience is given", "e.g. audience: portico");
            if (jwt.Jwks is { } jwks && jwks.Scheme == Uri.UriSchemeHttp && !IsLoopback(jwks))
                Error("auth.jwt.jwks", $"'{jwt.Jwks}' is fetched over plain http", "use https:// (plain http is accepted for loopback addresses only)");
            // The JWKS manager's own floors: a periodic refresh at most every 5 minutes, an unknown-kid refresh at most every second.
            if (jwt.JwksRefresh < TimeSpan.FromMinutes(5)) Error("auth.jwt.jwksRefresh", "the periodic JWKS refresh must be at least 5m", "e.g. jwksRefresh: 10m (unknown keys trigger an earlier refresh anyway)");
            if (jwt.JwksMinRefresh < TimeSpan.FromSeconds(1)) Error("auth.jwt.jwksMinRefresh", "the unknown-kid refresh throttle must be at least 1s", "e.g. jwksMinRefresh: 5s");
            if (jwt.MaxTokenSize < 256) Error("auth.jwt.maxTokenSize", $"{jwt.MaxTokenSize} bytes is too small for a signed token", "e.g. maxTokenSize: 8KiB");
        }
        foreach (var (name, value) in new[] { ("subject", auth.IdentityHeaders.Subject), ("scopes", auth.IdentityHeaders.Scopes), ("consumer", auth.IdentityHeaders.Consumer), ("method", auth.IdentityHeaders.Method), ("groups", auth.IdentityHeaders.Groups) })
        {
            if (!TokenRegex().IsMatch(value)) Error($"auth.identityHeaders.{name}", $"'{value}' is not a valid header name");
        }
    }

    static bool IsLoopback(Uri uri) => uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
