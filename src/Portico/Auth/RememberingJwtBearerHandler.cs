using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// ASP.NET Core's JwtBearer handler, plus: a bearer token it already accepted (still remembered by
/// <see cref="ValidatedTokenCache"/>: not expired, its signing key still offered) gets that same result again without
/// the handler's per-request work (parameters cloned, contexts and events, a new ticket). Anything else — a new
/// token, a refused one, a rotated key — goes through JwtBearer unchanged.
internal sealed class RememberingJwtBearerHandler(IOptionsMonitor<JwtBearerOptions> options, HandlerLoggerFactory logger, UrlEncoder encoder)
    : JwtBearerHandler(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Options.TokenHandlers is not [ValidatedTokenCache cache] || BearerToken() is not { } token) return await base.HandleAuthenticateAsync();
        var keys = await OfferedKeysAsync().ConfigureAwait(false);
        if (cache.TryGetAuthenticated(token, keys) is { } remembered) return remembered;
        // A key the set does not hold yet (rotated at the provider): fetched before validating, so this token is not refused.
        if (Options.ConfigurationManager is JwksKeySet set && KeyIdOf(cache, token) is { } kid) await set.EnsureKeyAsync(kid, Context.RequestAborted).ConfigureAwait(false);
        var result = await base.HandleAuthenticateAsync().ConfigureAwait(false);
        if (result.Succeeded) cache.RememberAuthenticated(token, result);
        return result;
    }

    string? BearerToken()
    {
        var header = Request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { Length: > 7 } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        return value[7..].Trim();
    }

    /// The `kid` of the token's header, when it is a readable JWS that names one.
    static string? KeyIdOf(ValidatedTokenCache handler, string token)
    {
        if (!handler.CanReadToken(token)) return null;
        try
        {
            return handler.ReadJsonWebToken(token).Kid is { Length: > 0 } kid ? kid : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    async Task<IEnumerable<SecurityKey>> OfferedKeysAsync()
    {
        if (Options.ConfigurationManager is { } manager)
        {
            try
            {
                return (await manager.GetConfigurationAsync(Context.RequestAborted).ConfigureAwait(false)).SigningKeys;
            }
            catch (InvalidOperationException)
            {
                return []; // no keys fetched yet: JwtBearer below meets the same and refuses the token
            }
        }
        return Options.TokenValidationParameters.IssuerSigningKey is { } key ? [key] : [];
    }
}
