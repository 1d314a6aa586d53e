using System.Security.Claims;
using Portico.Identity;

namespace Portico.Auth;

/// The claims every Portico scheme puts in its identity, whatever the credential: subject, consumer, one claim per scope.
internal static class AuthClaims
{
    public const string Subject = "sub";
    public const string Consumer = "portico:consumer";
    public const string Scope = "scope";
    public const string Group = "groups";

    public static ClaimsPrincipal Principal(string scheme, string subject, string? consumer, IEnumerable<string> scopes, IEnumerable<Claim>? other = null, IEnumerable<string>? groups = null)
    {
        var claims = new List<Claim> { new(Subject, subject) };
        // Other token claims stay available to routes' `claims:` requirements; ours are not taken from them.
        foreach (var c in other ?? []) if (c.Type is not (Subject or Consumer or Scope)) claims.Add(new Claim(c.Type, c.Value));
        if (consumer is not null) claims.Add(new Claim(Consumer, consumer));
        foreach (var s in scopes.Distinct(StringComparer.Ordinal)) claims.Add(new Claim(Scope, s));
        foreach (var g in (groups ?? []).Distinct(StringComparer.Ordinal)) claims.Add(new Claim(Group, g));
        return new ClaimsPrincipal(new PorticoIdentity(claims, scheme));
    }

    /// The identity of the first scheme in <paramref name="schemes"/> that authenticated the request.
    public static GatewayIdentity? ToGatewayIdentity(ClaimsPrincipal user, IReadOnlyList<string> schemes)
    {
        foreach (var scheme in schemes)
        {
            ClaimsIdentity? identity = null;
            foreach (var candidate in user.Identities)
            {
                if (candidate.IsAuthenticated && candidate.AuthenticationType == scheme)
                {
                    identity = candidate;
                    break;
                }
            }
            if (identity is null) continue;
            if (identity is PorticoIdentity { Mapped: { } known }) return known;
            if (identity.FindFirst(Subject)?.Value is not { } subject) continue;
            var scopes = identity.FindAll(Scope).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
            var groups = identity.FindAll(Group).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToArray();
            var mapped = new GatewayIdentity(subject, identity.FindFirst(Consumer)?.Value, scopes, scheme, groups);
            if (identity is PorticoIdentity portico) portico.Mapped = mapped;
            return mapped;
        }
        return null;
    }
}

/// The identity Portico's schemes build: it remembers the <see cref="GatewayIdentity"/> computed from it, so an identity
/// reused across requests (a consumer's ticket, a remembered token's principal) is mapped once.
internal sealed class PorticoIdentity(IEnumerable<Claim> claims, string scheme) : ClaimsIdentity(claims, scheme, AuthClaims.Subject, null)
{
    public GatewayIdentity? Mapped { get; set; }
}
