using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Portico.Demo.SampleServices;

/// `identity`: a tiny identity provider for the demo. POST /auth/token with username and password (form fields)
/// issues an RS256 JWT; GET /.well-known/jwks.json publishes the public key the gateway validates it with;
/// POST /auth/verify checks the same credentials for the gateway's cookie-session login.
/// The signing key is made at start, so tokens from an earlier run are refused.
internal static class IdentityService
{
    public const string Name = "identity";
    public const int Port = 5601;
    public const string Issuer = "http://127.0.0.1:5601";
    public const string Audience = "portico-demo";
    public const string DemoUser = "alice";
    public const string DemoPassword = "alice-demo-pass";

    /// Alice is user 4 of the users service, so /users/me (rewritten to /users/{identity.sub}) finds her.
    const string AliceId = "4";

    public static WebApplication Create()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) };
        var publicKey = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
        var jwks = new JwksReply([new JwkReply("RSA", publicKey.Kid, "sig", "RS256", publicKey.N, publicKey.E)]);
        var handler = new JsonWebTokenHandler();

        var app = SampleApp.CreateBuilder(Port).Build();
        SampleApp.MapHealth(app);
        app.MapGet("/.well-known/jwks.json", () => jwks);
        app.MapPost("/auth/verify", async (HttpContext context) => await CheckAsync(context)
            ? Results.Ok(new VerifyReply(AliceId, ["users:read"]))
            : Results.StatusCode(StatusCodes.Status401Unauthorized));
        app.MapPost("/auth/token", async (HttpContext context) =>
        {
            if (!await CheckAsync(context))
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: $"Unknown user or wrong password (the demo user is {DemoUser}).");
            var now = DateTime.UtcNow;
            var token = handler.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = Audience,
                Claims = new Dictionary<string, object> { ["sub"] = AliceId, ["name"] = "Alice", ["scope"] = "users:read" },
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddHours(1),
                SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            });
            // `Accept: text/plain` gets the bare token, handy in a shell: TOKEN=$(curl … /auth/token).
            return context.Request.Headers.Accept.ToString().Contains("text/plain", StringComparison.Ordinal)
                ? Results.Text(token)
                : Results.Ok(new TokenReply(token, "Bearer", 3600));
        });
        return app;
    }

    static async Task<bool> CheckAsync(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var user = form?["username"].ToString();
        var password = form?["password"].ToString() ?? "";
        return user == DemoUser && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(password), System.Text.Encoding.UTF8.GetBytes(DemoPassword));
    }
}

internal sealed record VerifyReply(string Sub, IReadOnlyList<string> Scopes);

internal sealed record TokenReply(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn);

internal sealed record JwksReply(IReadOnlyList<JwkReply> Keys);

internal sealed record JwkReply(string Kty, string Kid, string Use, string Alg, string N, string E);
