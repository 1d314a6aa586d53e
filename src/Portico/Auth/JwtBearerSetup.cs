using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Portico.Configuration;
using Portico.Runtime;

namespace Portico.Auth;

/// Configures ASP.NET Core's JwtBearer handler for the `jwt` scheme from the live config (the options cache is
/// cleared on every snapshot swap, see <see cref="AuthServiceExtensions"/>), and maps validated tokens to
/// Portico's claims: subject from <see cref="JwtDefinition.SubjectClaim"/>, scopes from `scope`/`scp` or the configured claim.
internal sealed class JwtBearerSetup(RuntimeHolder holder, JwksKeyCache keys, TimeProvider time) : Microsoft.Extensions.Options.IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(JwtBearerOptions options) => Configure(AuthSchemes.Jwt, options);

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != AuthSchemes.Jwt || !holder.HasSnapshot || holder.Current.Config.Auth?.Jwt is not { } jwt) return;
        options.MapInboundClaims = false;
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new ValidatedTokenCache(time) { MaximumTokenSizeInBytes = jwt.MaxTokenSize, MapInboundClaims = false });
        SecurityKey? staticKey = null;
        if (jwt.KeyFile is { } file)
        {
            var directory = holder.ConfigPath is { } configPath ? Path.GetDirectoryName(Path.GetFullPath(configPath))! : Directory.GetCurrentDirectory();
            // Checked when the config was loaded; a key that vanished since leaves no key, so every token is refused.
            JwtKeyFile.TryLoad(Path.Combine(directory, file), out staticKey, out _);
        }
        else
        {
            options.ConfigurationManager = keys.For(jwt);
            options.RefreshOnIssuerKeyNotFound = true;
        }
        options.SaveToken = false;
        options.IncludeErrorDetails = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudiences = jwt.Audiences,
            ValidAlgorithms = jwt.Algorithms,
            ClockSkew = jwt.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            IssuerSigningKey = staticKey,
        };
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var claims = context.Principal!;
                // "." and ".." would be dot-segments in a `{identity.sub}` rewrite (URIs normalize even %2E), so they are no subject.
                if (claims.FindFirst(jwt.SubjectClaim)?.Value is not { Length: > 0 } subject || subject is "." or "..")
                {
                    context.HttpContext.Features.Set(new AuthFailureFeature(AuthSchemes.Jwt, "the token names no usable subject"));
                    context.Fail("the token names no usable subject");
                    return Task.CompletedTask;
                }
                // A token the ValidatedTokenCache remembered comes back as the same SecurityToken: reuse its principal.
                if (context.SecurityToken is { } token && Principals.TryGetValue(token, out var known))
                {
                    context.Principal = known;
                    return Task.CompletedTask;
                }
                context.Principal = AuthClaims.Principal(AuthSchemes.Jwt, subject, null, ScopesOf(claims, jwt.ScopeClaim), claims.Claims);
                if (context.SecurityToken is { } validated) Principals.AddOrUpdate(validated, context.Principal);
                return Task.CompletedTask;
            },
            OnAuthenticationFailed = context =>
            {
                context.HttpContext.Features.Set(new AuthFailureFeature(AuthSchemes.Jwt, Reason(context.Exception)));
                return Task.CompletedTask;
            },
        };
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SecurityToken, ClaimsPrincipal> Principals = new();

    /// `scope` is a space-separated string (RFC 8693); `scp` is often an array, which arrives as one claim per item.
    static IEnumerable<string> ScopesOf(ClaimsPrincipal principal, string? claim) =>
        (claim is null ? principal.FindAll("scope").Concat(principal.FindAll("scp")) : principal.FindAll(claim))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// A fixed phrase per failure: exception messages may quote token content, so they never reach the client or logs.
    static string Reason(Exception ex) => ex switch
    {
        SecurityTokenExpiredException => "the bearer token has expired",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet",
        SecurityTokenInvalidIssuerException => "the bearer token has the wrong issuer",
        SecurityTokenInvalidAudienceException => "the bearer token has the wrong audience",
        SecurityTokenSignatureKeyNotFoundException => "the bearer token is signed with an unknown key",
        SecurityTokenInvalidAlgorithmException => "the bearer token uses an algorithm that is not accepted",
        SecurityTokenInvalidSignatureException => "the bearer token's signature is not valid",
        SecurityTokenNoExpirationException => "the bearer token has no expiry",
        JwtCriticalHeader.RefusedException => "the bearer token has a critical header parameter (crit) the gateway does not process",
        _ => "the bearer token is malformed or not valid",
    };
}
