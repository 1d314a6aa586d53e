using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// Key rotation at the identity provider and auth changes in a reloaded config take effect without a restart.
public sealed class JwksRotationTests : IAsyncLifetime
{
    GatewayFixture _jwt = null!;

    static string Yaml(GatewayFixture f, string consumers, string audience = "portico") => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          apikey: {}
          jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: {{audience}}, jwks: "{{f.Idp.JwksUrl}}", jwksMinRefresh: 1s }
          consumers: {{consumers}}
        routes:
          - name: users
            match: { path: "/users/{id}" }
            service: users
            auth: [jwt, apikey]
        """;

    public async ValueTask InitializeAsync() => _jwt = await GatewayFixture.StartAsync("users", f => Yaml(f, "{}"), identityProvider: true);

    public ValueTask DisposeAsync() => _jwt.DisposeAsync();

    async Task<HttpStatusCode> GetAsync(string? bearer = null, string? key = null)
    {
        using var response = await _jwt.GetAsync("/users/1", bearer, key);
        return response.StatusCode;
    }

    [Fact]
    public async Task Jwks_KeyRotated_NewKidIsAcceptedWithoutRestart_OldKeyIsRefusedAfterwards()
    {
        var oldToken = _jwt.Idp.Token("alice");
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.OK);
        // Again: now answered from the remembered validation, which must not outlive the key's removal below.
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.OK);
        var fetchesBefore = _jwt.Idp.Fetches;

        _jwt.Idp.Rotate(TestIdentityProvider.NewKey("k2"));
        var newToken = _jwt.Idp.Token("alice");
        // The unknown kid asks the JWKS manager for a refresh (throttled to one per jwksMinRefresh = 1s); no event
        // tells the test when it landed, so poll with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var status = await GetAsync(newToken);
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
            status = await GetAsync(newToken);
        }

        status.ShouldBe(HttpStatusCode.OK);
        _jwt.Idp.Fetches.ShouldBeGreaterThan(fetchesBefore);
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Reload_JwtAudienceChanged_AppliesToTheNextRequest()
    {
        (await GetAsync(_jwt.Idp.Token(audience: "portico"))).ShouldBe(HttpStatusCode.OK);

        await File.WriteAllTextAsync(_jwt.Gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + Yaml(_jwt, "{}", audience: "portico-v2"), TestContext.Current.CancellationToken);
        var result = await _jwt.Gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        (await GetAsync(_jwt.Idp.Token(audience: "portico"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(_jwt.Idp.Token(audience: "portico-v2"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reload_ConsumerKeyAdded_IsAcceptedWithoutRestart()
    {
        var key = ApiKeys.Generate();
        (await GetAsync(key: key)).ShouldBe(HttpStatusCode.Unauthorized);

        await File.WriteAllTextAsync(_jwt.Gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + Yaml(_jwt, $"{{ app: {{ keys: [\"{ApiKeys.Hash(key)}\"] }} }}"), TestContext.Current.CancellationToken);
        var result = await _jwt.Gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        (await GetAsync(key: key)).ShouldBe(HttpStatusCode.OK);
    }
}
