using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// A token with a forged `kid` sent just before the identity provider rotates its key must not hold the rotation back:
/// the first token signed with the new key is accepted (it waits for at most jwksMinRefresh, default 5 s, for the
/// fetch that finds it), where the old throttle refused new-key tokens for 30 s.
public sealed class JwksForgedKidTests : IAsyncLifetime
{
    TestBackend _backend = null!;
    TestIdentityProvider _idp = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        _idp = await TestIdentityProvider.StartAsync();
        _gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{_backend.Url}}"] }
            auth:
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{_idp.JwksUrl}}" }
            routes:
              - { name: users, match: { path: "/users/{id}" }, service: users, auth: [jwt] }
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _idp.DisposeAsync();
        await _backend.DisposeAsync();
    }

    async Task<HttpStatusCode> GetAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Jwks_ForgedKidJustBeforeRotation_TokenWithTheNewKeyIsStillAccepted()
    {
        (await GetAsync(_idp.Token("alice"))).ShouldBe(HttpStatusCode.OK);
        var forged = await GetAsync(_idp.Token("mallory", key: TestIdentityProvider.NewKey("forged-kid")));
        var fetchesAfterForged = _idp.Fetches;

        _idp.Rotate(TestIdentityProvider.NewKey("k2"));
        var rotated = await GetAsync(_idp.Token("alice"));
        var again = await GetAsync(_idp.Token("bob"));

        forged.ShouldBe(HttpStatusCode.Unauthorized);
        rotated.ShouldBe(HttpStatusCode.OK);
        again.ShouldBe(HttpStatusCode.OK);
        _idp.Fetches.ShouldBe(fetchesAfterForged + 1);
    }
}
