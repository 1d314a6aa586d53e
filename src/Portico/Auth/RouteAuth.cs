using Microsoft.AspNetCore.Authorization;
using Portico.Configuration;

namespace Portico.Auth;

/// A route's auth policy on one gateway, compiled with the snapshot and attached as endpoint metadata (next to
/// the <see cref="AuthorizationPolicy"/> ASP.NET's authorization middleware evaluates).
internal sealed class RouteAuth
{
    public RouteAuth(AuthRuntime runtime, IReadOnlyList<string> schemes, IReadOnlyList<string> scopes, IReadOnlyList<ValueCondition> claims, string route)
    {
        Runtime = runtime;
        Schemes = schemes;
        Scopes = scopes;
        Claims = claims;
        Route = route;
        var builder = new AuthorizationPolicyBuilder([.. schemes]).RequireAuthenticatedUser();
        // One requirement per scope: a caller needs all of them.
        foreach (var scope in scopes) builder.RequireClaim(AuthClaims.Scope, scope);
        // Each listed claim must be present, with one of the listed values (any value when none is listed).
        foreach (var claim in claims)
        {
            if (claim.Values.Count == 0) builder.RequireClaim(claim.Name);
            else builder.RequireClaim(claim.Name, claim.Values);
        }
        Policy = builder.Build();
        WwwAuthenticate = [.. schemes.Select(s => Challenge(s, runtime.Definition))];
        WwwAuthenticateInvalidToken = [.. WwwAuthenticate.Select(c => c.StartsWith("Bearer ", StringComparison.Ordinal) ? c + ", error=\"invalid_token\"" : c)];
    }

    public AuthRuntime Runtime { get; }
    public IReadOnlyList<string> Schemes { get; }
    public IReadOnlyList<string> Scopes { get; }
    public IReadOnlyList<ValueCondition> Claims { get; }
    public string Route { get; }
    public AuthorizationPolicy Policy { get; }

    /// One WWW-Authenticate value per scheme the route offers (RFC 9110 §11.6.1).
    public string[] WwwAuthenticate { get; }

    /// <see cref="WwwAuthenticate"/> after a bearer token was presented and refused (RFC 6750 §3.1: error="invalid_token").
    public string[] WwwAuthenticateInvalidToken { get; }

    static string Challenge(string scheme, AuthDefinition auth) => scheme switch
    {
        AuthSchemes.Jwt => "Bearer realm=\"portico\"",
        AuthSchemes.Session => $"Cookie realm=\"portico\", cookie=\"{auth.Session!.Cookie}\", login=\"{auth.Session.LoginPath}\"",
        AuthSchemes.Basic => $"Basic realm=\"{auth.Basic!.Realm}\", charset=\"UTF-8\"",
        AuthSchemes.ApiKey => $"ApiKey realm=\"portico\", header=\"{auth.ApiKey!.Header}\"",
        _ => scheme,
    };
}
