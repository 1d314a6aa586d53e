using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Portico.Configuration;
using Portico.Identity;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Auth;

/// What a route's forwarding does with identity: removes every client copy of the identity headers (upstreams
/// trust them, so a client must never set them), sets them from the authenticated <see cref="GatewayIdentity"/>,
/// and strips the credentials the route's schemes consumed unless the route passes them through.
internal sealed class IdentityForwarding
{
    readonly IdentityHeadersDefinition _headers;
    readonly string[] _stripHeaders;
    readonly string? _stripQuery;
    readonly string? _stripCookie;
    readonly HashSet<string> _lookAlikes;

    IdentityForwarding(IdentityHeadersDefinition headers, string[] stripHeaders, string? stripQuery, string? stripCookie)
    {
        _headers = headers;
        _stripHeaders = stripHeaders;
        _stripQuery = stripQuery;
        _stripCookie = stripCookie;
        _lookAlikes = new HashSet<string>(headers.All.Concat(stripHeaders).Select(Folded), StringComparer.OrdinalIgnoreCase);
    }

    /// A header name as CGI/WSGI-style services read it: '_' and '-' alike (case is ignored by the set).
    static string Folded(string name) => name.Contains('_') ? name.Replace('_', '-') : name;

    /// Null when the config has no `auth:` section (no identity headers exist then).
    public static IdentityForwarding? For(RouteDefinition route, GatewayDefinition gateway, AuthDefinition? auth)
    {
        if (auth is null) return null;
        var schemes = route.SchemesOn(gateway);
        var strip = new List<string>();
        string? query = null;
        string? cookie = null;
        if (!route.PassCredentials)
        {
            if (schemes.Contains(AuthSchemes.Session) && auth.Session is { } session) cookie = session.Cookie;
            if (schemes.Contains(AuthSchemes.Jwt) || schemes.Contains(AuthSchemes.Basic)) strip.Add(HeaderNames.Authorization);
            if (schemes.Contains(AuthSchemes.ApiKey) && auth.ApiKey is { } key)
            {
                strip.Add(key.Header);
                query = key.QueryParameter;
            }
        }
        return new IdentityForwarding(auth.IdentityHeaders, [.. strip], query, cookie);
    }

    public void Apply(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix)
    {
        var headers = proxyRequest.Headers;
        foreach (var name in _headers.All) headers.Remove(name);
        foreach (var name in _stripHeaders) headers.Remove(name);
        // X_User_Id or x-user_id reach services that fold '_' into '-' as the identity header itself.
        foreach (var (name, _) in context.Request.Headers)
        {
            if (_lookAlikes.Contains(Folded(name))) headers.Remove(name);
        }
        if (_stripQuery is not null && context.Request.Query.ContainsKey(_stripQuery))
        {
            // Without a rewrite YARP builds the URI after the transform, so build it here from the client's path.
            var uri = proxyRequest.RequestUri ?? RequestUtilities.MakeDestinationAddress(destinationPrefix, context.Request.Path, context.Request.QueryString);
            var query = QueryHelpers.ParseQuery(uri.Query);
            query.Remove(_stripQuery);
            var rebuilt = new QueryBuilder(query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))));
            proxyRequest.RequestUri = new UriBuilder(uri) { Query = rebuilt.ToQueryString().Value?.TrimStart('?') ?? "" }.Uri;
        }
        if (_stripCookie is not null && headers.TryGetValues(HeaderNames.Cookie, out var cookies))
        {
            // Only the session cookie goes; the upstream's own cookies pass.
            var kept = cookies.SelectMany(v => v.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Where(c => !c.StartsWith(_stripCookie + "=", StringComparison.Ordinal)).ToList();
            headers.Remove(HeaderNames.Cookie);
            if (kept.Count > 0) headers.TryAddWithoutValidation(HeaderNames.Cookie, string.Join("; ", kept));
        }
        context.Features.Get<GatewayIdentity>()?.WriteHeaders(_headers, headers, static (h, name, value) => h.TryAddWithoutValidation(name, value));
    }
}
