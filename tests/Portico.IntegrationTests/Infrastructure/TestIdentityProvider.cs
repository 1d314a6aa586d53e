using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Portico.IntegrationTests.Infrastructure;

/// A real Kestrel server publishing a JWKS whose keys a test can rotate, and a token minter for those keys
/// (or for keys it never publishes). Counts JWKS fetches so tests can see refreshes.
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string Issuer = "https://id.test";
    public const string Audience = "portico";

    readonly WebApplication _app;
    volatile RsaSecurityKey[] _published;
    int _fetches;

    TestIdentityProvider(WebApplication app, RsaSecurityKey first)
    {
        _app = app;
        _published = [first];
        Current = first;
    }

    public string JwksUrl { get; private set; } = "";
    public RsaSecurityKey Current { get; private set; }
    public int Fetches => Volatile.Read(ref _fetches);

    public static RsaSecurityKey NewKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var idp = new TestIdentityProvider(app, NewKey("k1"));
        app.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref idp._fetches);
            var keys = idp._published.Select(k =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(k.Rsa.ExportParameters(false)) { KeyId = k.KeyId });
                return new { kty = "RSA", kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E };
            });
            return Results.Json(new { keys });
        });
        await app.StartAsync();
        idp.JwksUrl = app.Urls.First() + "/jwks.json";
        return idp;
    }

    /// Publishes only <paramref name="key"/> from now on and signs new tokens with it.
    public void Rotate(RsaSecurityKey key)
    {
        _published = [key];
        Current = key;
    }

    public string Token(string subject = "alice", string? scope = "users:read", string issuer = Issuer, string audience = Audience,
        DateTime? expires = null, DateTime? notBefore = null, RsaSecurityKey? key = null, IDictionary<string, object>? claims = null)
    {
        var all = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject };
        if (scope is not null) all["scope"] = scope;
        var now = DateTime.UtcNow;
        var nbf = notBefore ?? now.AddMinutes(-1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = all,
            IssuedAt = nbf,
            NotBefore = nbf,
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(key ?? Current, SecurityAlgorithms.RsaSha256),
        });
    }

    /// `alg: none`, unsigned.
    public static string UnsignedToken(string subject = "alice")
    {
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var payload = Base64Url($"{{\"sub\":\"{subject}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"exp\":{exp},\"scope\":\"users:read\"}}");
        return header + "." + payload + ".";
    }

    /// Algorithm confusion: HS256 with the RSA public key's bytes as the HMAC secret.
    public string HmacWithPublicKeyToken()
    {
        var secret = Encoding.UTF8.GetBytes(Current.Rsa.ExportSubjectPublicKeyInfoPem());
        var header = Base64Url($"{{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"{Current.KeyId}\"}}");
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var payload = Base64Url($"{{\"sub\":\"mallory\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"exp\":{exp},\"scope\":\"users:read\"}}");
        var signature = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload));
        return header + "." + payload + "." + Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
