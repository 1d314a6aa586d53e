using System.Net;
using System.Net.Http.Headers;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// `Cache-Control: only-if-cached` from a client: served from the cache when there is an entry, otherwise 504 without
/// calling the service, labelled as the miss it is (RFC 9211).
public sealed class OnlyIfCachedTests
{
    static string Config(TestBackend backend) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        cachePolicies:
          short: { ttl: 60s }
        routes:
          - { name: items, match: { path: "/items/{**rest}" }, service: api, cache: short }
        """;

    static async Task<HttpResponseMessage> OnlyIfCachedAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.CacheControl = new CacheControlHeaderValue { OnlyIfCached = true };
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task OnlyIfCached_Miss_Is504LabelledAMiss_ServiceNotCalled()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var response = await OnlyIfCachedAsync(client, "/items/absent");

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        var status = response.Headers.GetValues("Cache-Status").Single();
        status.ShouldBe("Portico; fwd=uri-miss; detail=only-if-cached");
        status.ShouldNotContain("hit");
        backend.CallsTo("/items/absent").ShouldBe(0);
    }

    [Fact]
    public async Task OnlyIfCached_AfterTheEntryIsStored_IsAHit()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        (await client.GetAsync("/items/1", TestContext.Current.CancellationToken)).Dispose();

        using var response = await OnlyIfCachedAsync(client, "/items/1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit; ttl=");
        backend.CallsTo("/items/1").ShouldBe(1);
    }
}
