using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// A token with a forged `kid` sent just before the identity provider rotates its key must not hold the rotation back:
/// the first token signed with the new key is accepted (it waits for at most jwksMinRefresh, default 5 s, for the
/// fetch that finds it), where the old throttle refused new-key tokens for 30 s.
public sealed class JwksForgedKidTests : IAsyncLifetime
{
    GatewayFixture _jwt = null!;

    public async ValueTask InitializeAsync() => _jwt = await JwtGateway.StartAsync();

    public ValueTask DisposeAsync() => _jwt.DisposeAsync();

    async Task<HttpStatusCode> GetAsync(string token)
    {
        using var response = await _jwt.GetAsync("/users/1", bearer: token);
        return response.StatusCode;
    }

    [Fact]
    public async Task Jwks_ForgedKidJustBeforeRotation_TokenWithTheNewKeyIsStillAccepted()
    {
        var idp = _jwt.Idp;
        (await GetAsync(idp.Token("alice"))).ShouldBe(HttpStatusCode.OK);
        var forged = await GetAsync(idp.Token("mallory", key: TestIdentityProvider.NewKey("forged-kid")));
        var fetchesAfterForged = idp.Fetches;

        idp.Rotate(TestIdentityProvider.NewKey("k2"));
        var rotated = await GetAsync(idp.Token("alice"));
        var again = await GetAsync(idp.Token("bob"));

        forged.ShouldBe(HttpStatusCode.Unauthorized);
        rotated.ShouldBe(HttpStatusCode.OK);
        again.ShouldBe(HttpStatusCode.OK);
        idp.Fetches.ShouldBe(fetchesAfterForged + 1);
    }
}
