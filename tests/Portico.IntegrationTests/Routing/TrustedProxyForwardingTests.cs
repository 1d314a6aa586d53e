using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Behind a load balancer listed in `trustedProxies`, the X-Forwarded-* it reports reach the upstream (the
/// chain extended with the balancer's address); from anyone else they are claims and are replaced.
public sealed class TrustedProxyForwardingTests
{
    static string Config(TestBackend backend, string trusted) => $$"""
        services:
          app: { urls: ["{{backend.Url}}"] }
        {{trusted}}
        routes:
          - name: all
            match: { path: "/{**rest}" }
            service: app
        """;

    static async Task<TestBackend.ReceivedRequest> SendThroughAsync(GatewayUnderTest gateway, TestBackend backend)
    {
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "shop.example");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return backend.Received.Single();
    }

    [Fact]
    public async Task FromTrustedProxy_ForwardedChainIsExtendedAndSchemeAndHostKept()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "trustedProxies: [127.0.0.1]"));

        var seen = await SendThroughAsync(gateway, backend);

        seen.Headers["X-Forwarded-For"].ShouldBe("203.0.113.9, 127.0.0.1");
        seen.Headers["X-Forwarded-Proto"].ShouldBe("https");
        seen.Headers["X-Forwarded-Host"].ShouldBe("shop.example");
    }

    [Fact]
    public async Task FromUntrustedPeer_ForwardedHeadersAreReplaced()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "trustedProxies: [10.0.0.0/8]"));

        var seen = await SendThroughAsync(gateway, backend);

        seen.Headers["X-Forwarded-For"].ShouldBe("127.0.0.1");
        seen.Headers["X-Forwarded-Proto"].ShouldBe("http");
        seen.Headers["X-Forwarded-Host"].ShouldBe(gateway.BaseAddress().Authority);
    }
}
