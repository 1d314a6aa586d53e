using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Portico.Auth;

namespace Portico.Tests.Auth;

public sealed class ValidatedTokenCacheTests
{
    static readonly SymmetricSecurityKey Key = new(RandomNumberGenerator.GetBytes(32)) { KeyId = "k1" };
    readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    static TokenValidationParameters Parameters(SecurityKey key) => new()
    {
        ValidIssuer = "https://id.test",
        ValidAudience = "portico",
        IssuerSigningKey = key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
    };

    static string Token(string subject = "ada", SecurityKey? key = null, TimeSpan? lifetime = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "https://id.test",
        Audience = "portico",
        Subject = new ClaimsIdentity([new Claim("sub", subject)]),
        Expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromHours(1)),
        SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.HmacSha256),
    });

    [Fact]
    public async Task ValidateTokenAsync_SameTokenAgain_AnsweredFromTheCache()
    {
        var cache = new ValidatedTokenCache(_time);
        var token = Token();

        var first = await cache.ValidateTokenAsync(token, Parameters(Key));
        var second = await cache.ValidateTokenAsync(token, Parameters(Key));

        first.IsValid.ShouldBeTrue();
        second.ShouldBeSameAs(first);
    }

    [Fact]
    public async Task ValidateTokenAsync_AfterMaxAge_ValidatesAgain()
    {
        var cache = new ValidatedTokenCache(_time);
        var token = Token();
        var first = await cache.ValidateTokenAsync(token, Parameters(Key));

        _time.Advance(ValidatedTokenCache.MaxAge);
        var second = await cache.ValidateTokenAsync(token, Parameters(Key));

        second.IsValid.ShouldBeTrue();
        second.ShouldNotBeSameAs(first);
    }

    [Fact]
    public async Task ValidateTokenAsync_TokenExpiringSoon_RememberedOnlyUntilItsExpiryPlusSkew()
    {
        var cache = new ValidatedTokenCache(_time);
        var token = Token(lifetime: TimeSpan.FromMinutes(1));
        var parameters = Parameters(Key);
        var first = await cache.ValidateTokenAsync(token, parameters);

        _time.Advance(TimeSpan.FromMinutes(1) + parameters.ClockSkew + TimeSpan.FromSeconds(1));
        var second = await cache.ValidateTokenAsync(token, parameters);

        second.ShouldNotBeSameAs(first);
    }

    [Fact]
    public async Task ValidateTokenAsync_SigningKeyNoLongerOffered_Refused()
    {
        var cache = new ValidatedTokenCache(_time);
        var token = Token();
        (await cache.ValidateTokenAsync(token, Parameters(Key))).IsValid.ShouldBeTrue();

        var rotated = await cache.ValidateTokenAsync(token, Parameters(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "k2" }));

        rotated.IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task ValidateTokenAsync_InvalidToken_NotRemembered()
    {
        var cache = new ValidatedTokenCache(_time);
        var forged = Token(key: new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "k1" });

        var first = await cache.ValidateTokenAsync(forged, Parameters(Key));
        var second = await cache.ValidateTokenAsync(forged, Parameters(Key));

        first.IsValid.ShouldBeFalse();
        second.IsValid.ShouldBeFalse();
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public async Task ValidateTokenAsync_ManyDistinctTokens_StaysWithinTheBound()
    {
        var cache = new ValidatedTokenCache(_time);
        var parameters = Parameters(Key);

        for (var i = 0; i <= ValidatedTokenCache.MaxEntries; i++)
            (await cache.ValidateTokenAsync(Token($"user-{i}"), parameters)).IsValid.ShouldBeTrue();

        cache.Count.ShouldBeLessThanOrEqualTo(ValidatedTokenCache.MaxEntries);
    }

    [Fact]
    public async Task TryGetAuthenticated_RememberedWhileItsKeyIsOffered_NotOtherwise()
    {
        var cache = new ValidatedTokenCache(_time);
        var token = Token();
        (await cache.ValidateTokenAsync(token, Parameters(Key))).IsValid.ShouldBeTrue();
        var result = Microsoft.AspNetCore.Authentication.AuthenticateResult.NoResult();

        cache.TryGetAuthenticated(token, [Key]).ShouldBeNull();
        cache.RememberAuthenticated(token, result);

        cache.TryGetAuthenticated(token, [Key]).ShouldBeSameAs(result);
        cache.TryGetAuthenticated(token, [new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32))]).ShouldBeNull();
        _time.Advance(ValidatedTokenCache.MaxAge);
        cache.TryGetAuthenticated(token, [Key]).ShouldBeNull();
    }

    [Fact]
    public void RememberAuthenticated_TokenNeverValidated_RemembersNothing()
    {
        var cache = new ValidatedTokenCache(_time);

        cache.RememberAuthenticated("not-validated", Microsoft.AspNetCore.Authentication.AuthenticateResult.NoResult());

        cache.TryGetAuthenticated("not-validated", [Key]).ShouldBeNull();
        cache.Count.ShouldBe(0);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("empty")]
    [InlineData("string")]
    [InlineData("registered")]
    public async Task ValidateTokenAsync_CritHeader_RefusedAndNotRemembered(string crit)
    {
        var cache = new ValidatedTokenCache(_time);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://id.test",
            Audience = "portico",
            Subject = new ClaimsIdentity([new Claim("sub", "ada")]),
            Expires = DateTime.UtcNow.AddHours(1),
            AdditionalHeaderClaims = new Dictionary<string, object> { ["crit"] = Crit(crit), ["x-ext"] = "v" },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });

        var first = await cache.ValidateTokenAsync(token, Parameters(Key));
        var second = await cache.ValidateTokenAsync(token, Parameters(Key));

        first.IsValid.ShouldBeFalse();
        first.Exception.ShouldBeOfType<JwtCriticalHeader.RefusedException>();
        second.IsValid.ShouldBeFalse();
        cache.Count.ShouldBe(0);
    }

    static object Crit(string form) => form switch
    {
        "unknown" => new[] { "x-ext" },
        "empty" => Array.Empty<string>(),
        "string" => "x-ext",
        _ => new[] { "alg" },
    };

    [Fact]
    public async Task ValidateTokenAsync_NoCritHeader_Accepted()
    {
        var cache = new ValidatedTokenCache(_time);

        var result = await cache.ValidateTokenAsync(Token(), Parameters(Key));

        result.IsValid.ShouldBeTrue();
    }
}
