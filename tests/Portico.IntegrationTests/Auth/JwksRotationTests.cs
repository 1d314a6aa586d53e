using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// Key rotation at the identity provider and auth changes in a reloaded config take effect without a restart.
public sealed class JwksRotationTests : IAsyncLifetime
{
    TestBackend _backend = null!;
    TestIdentityProvider _idp = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    string Yaml(string consumers, string audience = "portico") => $$"""
        services:
          users: { urls: ["{{_backend.Url}}"] }
        auth:
          apikey: {}
          jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: {{audience}}, jwks: "{{_idp.JwksUrl}}", jwksMinRefresh: 1s }
          consumers: {{consumers}}
        routes:
          - name: users
            match: { path: "/users/{id}" }
            service: users
            auth: [jwt, apikey]
        """;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        _idp = await TestIdentityProvider.StartAsync();
        _gateway = await GatewayUnderTest.StartAsync(Yaml("{}"));
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _idp.DisposeAsync();
        await _backend.DisposeAsync();
    }

    async Task<HttpStatusCode> GetAsync(string? bearer = null, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        if (bearer is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Jwks_KeyRotated_NewKidIsAcceptedWithoutRestart_OldKeyIsRefusedAfterwards()
    {
        var oldToken = _idp.Token("alice");
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.OK);
        // Again: now answered from the remembered validation, which must not outlive the key's removal below.
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.OK);
        var fetchesBefore = _idp.Fetches;

        _idp.Rotate(TestIdentityProvider.NewKey("k2"));
        var newToken = _idp.Token("alice");
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
        _idp.Fetches.ShouldBeGreaterThan(fetchesBefore);
        (await GetAsync(oldToken)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Reload_JwtAudienceChanged_AppliesToTheNextRequest()
    {
        (await GetAsync(_idp.Token(audience: "portico"))).ShouldBe(HttpStatusCode.OK);

        await File.WriteAllTextAsync(_gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + Yaml("{}", audience: "portico-v2"), TestContext.Current.CancellationToken);
        var result = await _gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        (await GetAsync(_idp.Token(audience: "portico"))).ShouldBe(HttpStatusCode.Unauthorized);
        (await GetAsync(_idp.Token(audience: "portico-v2"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Reload_ConsumerKeyAdded_IsAcceptedWithoutRestart()
    {
        var key = ApiKeys.Generate();
        (await GetAsync(key: key)).ShouldBe(HttpStatusCode.Unauthorized);

        await File.WriteAllTextAsync(_gateway.ConfigPath, "gateways:\n  default:\n    listen: [\"http://127.0.0.1:0\"]\n" + Yaml($"{{ app: {{ keys: [\"{ApiKeys.Hash(key)}\"] }} }}"), TestContext.Current.CancellationToken);
        var result = await _gateway.Runtime.ReloadAsync();

        result.Applied.ShouldBeTrue(string.Join("; ", result.Errors));
        (await GetAsync(key: key)).ShouldBe(HttpStatusCode.OK);
    }
}
