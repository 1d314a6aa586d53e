using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Portico.Auth;

namespace Portico.Bench;

/// The credentials the auth scenarios send: an API key (its hash goes into the config) and an RS256 JWT signed by
/// a key made for this run (its public half is the config's `jwt.key`).
sealed class BenchCredentials
{
    public const string Issuer = "https://bench.portico.local";
    public const string Audience = "portico-bench";

    public string ApiKey { get; } = ApiKeys.Derive("portico-bench-app");
    public string ApiKeyHash => ApiKeys.Hash(ApiKey);
    public string Jwt { get; }
    public string PublicKeyPath { get; }

    public BenchCredentials(string runDir)
    {
        using var rsa = RSA.Create(2048);
        PublicKeyPath = Path.Combine(runDir, "jwt-public.pem");
        File.WriteAllText(PublicKeyPath, rsa.ExportSubjectPublicKeyInfoPem());
        var signing = new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(true)) { KeyId = "bench" }, SecurityAlgorithms.RsaSha256);
        var now = DateTime.UtcNow;
        Jwt = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", "bench-user"), new Claim("scope", "bench")]),
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now,
            Expires = now.AddDays(1),
            SigningCredentials = signing,
        });
    }

    public Dictionary<string, string> Environment(int port) => new()
    {
        ["BENCH_PORT"] = port.ToString(),
        ["BENCH_JWT_KEY"] = PublicKeyPath,
        ["BENCH_APIKEY_HASH"] = ApiKeyHash,
    };
}
