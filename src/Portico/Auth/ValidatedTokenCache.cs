using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// A JsonWebTokenHandler that remembers tokens it validated, so a client sending the same bearer token on every
/// request pays for the signature check once (an RS256 verification costs more than forwarding a small request).
/// An entry lives until the token expires (plus the allowed clock skew), at most <see cref="MaxAge"/>, and only while
/// the key that signed it is still among the keys offered for validation: a key removed from the JWKS refuses its
/// tokens again at once. Failures are never remembered. A `crit` header refuses the token (<see cref="JwtCriticalHeader"/>). The handler is made per config snapshot, so a reload
/// starts empty. Bounded: past <see cref="MaxEntries"/> expired entries are swept, then everything is dropped.
internal sealed class ValidatedTokenCache(TimeProvider time) : JsonWebTokenHandler
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    public const int MaxEntries = 4096;

    sealed record Entry(Task<TokenValidationResult> Result, SecurityKey Key, DateTimeOffset Expires)
    {
        /// What the authentication handler made of the token the first time (its ticket), once it succeeded.
        public Microsoft.AspNetCore.Authentication.AuthenticateResult? Authenticated;
    }

    readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (token is not null && _entries.TryGetValue(token, out var entry))
        {
            if (time.GetUtcNow() < entry.Expires && Offers(validationParameters, entry.Key)) return entry.Result;
            _entries.TryRemove(token, out _);
        }
        return ValidateAndRememberAsync(token!, validationParameters);
    }

    async Task<TokenValidationResult> ValidateAndRememberAsync(string token, TokenValidationParameters validationParameters)
    {
        // Checked before a token is remembered, so a remembered one (same string, same header) never needs it again.
        if (token.Length <= MaximumTokenSizeInBytes && JwtCriticalHeader.Refuses(token))
            return new TokenValidationResult { IsValid = false, Exception = new JwtCriticalHeader.RefusedException() };
        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid && result.SecurityToken is JsonWebToken { SigningKey: { } key } jwt && jwt.ValidTo > DateTime.MinValue)
        {
            var now = time.GetUtcNow();
            var expires = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc)) + validationParameters.ClockSkew;
            if (expires > now + MaxAge) expires = now + MaxAge;
            if (_entries.Count >= MaxEntries) Sweep(now);
            _entries[token] = new Entry(Task.FromResult(result), key, expires);
        }
        return result;
    }

    /// The handler's earlier result for this token, while the token is remembered and its key is among <paramref name="offered"/>.
    public Microsoft.AspNetCore.Authentication.AuthenticateResult? TryGetAuthenticated(string token, IEnumerable<SecurityKey> offered)
    {
        if (!_entries.TryGetValue(token, out var entry) || entry.Authenticated is not { } result || time.GetUtcNow() >= entry.Expires) return null;
        foreach (var key in offered)
        {
            if (ReferenceEquals(key, entry.Key)) return result;
        }
        return null;
    }

    /// Keeps the handler's result with the validation it came from (nothing when that validation is not remembered).
    public void RememberAuthenticated(string token, Microsoft.AspNetCore.Authentication.AuthenticateResult result)
    {
        if (_entries.TryGetValue(token, out var entry)) entry.Authenticated = result;
    }

    static bool Offers(TokenValidationParameters parameters, SecurityKey key)
    {
        if (ReferenceEquals(parameters.IssuerSigningKey, key)) return true;
        if (parameters.IssuerSigningKeys is null) return false;
        foreach (var offered in parameters.IssuerSigningKeys)
        {
            if (ReferenceEquals(offered, key)) return true;
        }
        return false;
    }

    void Sweep(DateTimeOffset now)
    {
        foreach (var (token, entry) in _entries)
        {
            if (entry.Expires <= now) _entries.TryRemove(token, out _);
        }
        if (_entries.Count >= MaxEntries) _entries.Clear();
    }
}
