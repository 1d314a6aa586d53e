using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// The session CSRF check compares Origin with the site the browser sees. Behind a TLS-terminating proxy listed
/// in trustedProxies that is the proxy's X-Forwarded-Proto/-Host; from anyone else those headers change nothing.
public sealed class SessionBehindProxyTests
{
    static async Task<(TestBackend Backend, GatewayUnderTest Gateway)> StartAsync(string trusted)
    {
        var backend = await TestBackend.StartAsync("users", SessionLogins.VerifiesAlice());
        var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{backend.Url}}"] }
            {{trusted}}
            auth:
              session: { cookie: sid, login: { service: users, path: /auth/verify }, secure: false }
            routes:
              - name: orders
                match: { path: "/orders/{id}" }
                service: users
                auth: [session]
            """);
        return (backend, gateway);
    }

    static async Task<HttpStatusCode> DeleteFromShopAsync(GatewayUnderTest gateway)
    {
        using var client = gateway.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        using var login = await SessionLogins.LoginAsync(client);
        login.EnsureSuccessStatusCode();
        var cookie = SessionLogins.Cookie(login);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/orders/7");
        request.Headers.Add("Cookie", cookie);
        request.Headers.Add("Origin", "https://shop.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "shop.example");
        using var response = await client.SendAsync(request, ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task UnsafeMethod_ThroughTrustedTlsProxy_OriginOfThePublicSitePasses()
    {
        var (backend, gateway) = await StartAsync("trustedProxies: [127.0.0.1]");
        await using var _ = backend;
        await using var __ = gateway;

        (await DeleteFromShopAsync(gateway)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task UnsafeMethod_ForwardedHeadersFromUntrustedPeer_StillRefused()
    {
        var (backend, gateway) = await StartAsync("trustedProxies: [10.0.0.0/8]");
        await using var _ = backend;
        await using var __ = gateway;

        (await DeleteFromShopAsync(gateway)).ShouldBe(HttpStatusCode.Forbidden);
        backend.Received.ShouldNotContain(r => r.Method == "DELETE");
    }
}
