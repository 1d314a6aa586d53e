using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// JWT validation against a static PEM public key instead of a JWKS.
public sealed class StaticJwtKeyTests
{
    [Fact]
    public async Task StaticKey_TokenSignedWithItsPrivateKey_Passes_OtherKeyIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("users");
        // The provider only mints tokens here; the gateway never contacts it.
        await using var idp = await TestIdentityProvider.StartAsync();
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("portico-static-key-").FullName, "public.pem");
        await File.WriteAllTextAsync(keyFile, idp.Current.Rsa.ExportSubjectPublicKeyInfoPem(), ct);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{backend.Url}}"] }
            auth:
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, key: "{{keyFile}}" }
            routes:
              - name: users
                match: { path: "/users/{id}" }
                service: users
                auth: [jwt]
            """);
        using var client = gateway.CreateClient();

        async Task<HttpStatusCode> GetAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            using var response = await client.SendAsync(request, ct);
            return response.StatusCode;
        }

        (await GetAsync(idp.Token("alice"))).ShouldBe(HttpStatusCode.OK);
        (await GetAsync(idp.Token("alice", key: TestIdentityProvider.NewKey("k1")))).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(idp.HmacWithPublicKeyToken())).ShouldBe(HttpStatusCode.Unauthorized);
        idp.Fetches.ShouldBe(0);
        Directory.Delete(Path.GetDirectoryName(keyFile)!, recursive: true);
    }
}
