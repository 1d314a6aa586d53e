using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hostile;

/// Client headers that CGI/WSGI-style services read as the identity or credential headers ('_' for '-', any case)
/// never reach the upstream; other names with '_' are dropped unless a route keeps them. The upstream is a raw
/// socket, so what is asserted is every byte it received.
public sealed class UnderscoreHeaderTests : IAsyncLifetime
{
    RecordingSocketBackend _raw = null!;
    TestIdentityProvider _idp = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _raw = RecordingSocketBackend.Start();
        _idp = await TestIdentityProvider.StartAsync();
        _gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              raw: { urls: ["{{_raw.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{_idp.JwksUrl}}", clockSkew: 0s }
            routes:
              - name: private
                match: { path: "/p/{id}" }
                service: raw
                auth: [jwt, apikey]
              - name: public
                match: { path: "/anon/{id}" }
                service: raw
              - name: legacy
                match: { path: "/legacy/{id}" }
                service: raw
                headers: { request: { keep: [X_Legacy_Id, X_User_Id] } }
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _idp.DisposeAsync();
        await _raw.DisposeAsync();
    }

    async Task<HttpResponseMessage> SendAsync(string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Authenticated_IdentityAndCredentialLookAlikes_StrippedRealIdentitySent()
    {
        var response = await SendAsync("/p/1", ("Authorization", "Bearer " + _idp.Token("alice")),
            ("X_User_Id", "root"), ("x-user_id", "root"), ("X_USER_SCOPES", "admin"), ("x_consumer", "root-app"), ("X_Auth_Method", "root"),
            ("X_Consumer_Groups", "root"), ("X_Api_Key", "stolen-key"), ("x-api_key", "stolen-key"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var head = _raw.Heads.ShouldHaveSingleItem();
        head.ShouldContain("\r\nX-User-Id: alice\r\n");
        head.ShouldNotContain("root", Case.Insensitive);
        head.ShouldNotContain("admin");
        head.ShouldNotContain("stolen-key");
        head.ShouldNotContain("_");
    }

    [Fact]
    public async Task Anonymous_UnderscoreNames_DroppedDashedNamesKept()
    {
        var response = await SendAsync("/anon/1", ("X_Forwarded_Token", "t"), ("Custom_Header", "c"), ("X-Custom", "kept"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var head = _raw.Heads.ShouldHaveSingleItem();
        head.ShouldContain("\r\nX-Custom: kept\r\n");
        head.ShouldNotContain("X_Forwarded_Token");
        head.ShouldNotContain("Custom_Header");
    }

    [Fact]
    public async Task Anonymous_IdentityLookAlikes_StrippedOnEveryRouteOfAnAuthConfig()
    {
        var response = await SendAsync("/anon/1", ("X_User_Id", "root"), ("X-User-Id", "root"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _raw.Heads.ShouldHaveSingleItem().ShouldNotContain("root");
    }

    [Fact]
    public async Task KeptUnderscoreHeader_Forwarded_IdentityLookAlikeStillStripped()
    {
        var response = await SendAsync("/legacy/1", ("X_Legacy_Id", "42"), ("X_User_Id", "root"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var head = _raw.Heads.ShouldHaveSingleItem();
        head.ShouldContain("\r\nX_Legacy_Id: 42\r\n");
        head.ShouldNotContain("root");
    }
}
