using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hostile;

/// Requests whose meaning the cache key does not capture (a body, a method-override or URL-override header) are
/// neither answered from the cache nor stored in it, and the override headers are not forwarded unless a route
/// keeps them: a clean client afterwards gets the clean answer, from the backend.
public sealed class CachePoisoningTests : IAsyncLifetime
{
    GatewayFixture _edge = null!;
    int _calls;

    public async ValueTask InitializeAsync() => _edge = await GatewayFixture.StartAsync("api", f => $$"""
        services:
          api: { urls: ["{{f.Backend.Url}}"] }
        cachePolicies:
          short: { ttl: 60s }
        routes:
          - { name: items, match: { path: "/items/{**rest}" }, service: api, cache: short }
          - name: kept
            match: { path: "/kept/{**rest}" }
            service: api
            cache: short
            headers: { request: { keep: [X-HTTP-Method-Override] } }
        """,
        // Answers what a service honouring the override headers would act on, so a poisoned entry is visible.
        map: app => app.Map("/{**rest}", async (HttpContext context) =>
        {
            var call = Interlocked.Increment(ref _calls);
            var headers = context.Request.Headers;
            var acted = headers["X-Original-URL"].ToString() is { Length: > 0 } url ? $"url {url}"
                : headers["X-HTTP-Method-Override"].ToString() is { Length: > 0 } method ? $"method {method}"
                : context.Request.ContentLength > 0 ? "body" : "clean";
            context.Response.Headers.CacheControl = "public, max-age=60";
            await context.Response.WriteAsJsonAsync(new { acted, call });
        }));

    public ValueTask DisposeAsync() => _edge.DisposeAsync();

    async Task<(HttpResponseMessage Response, string Acted)> GetAsync(string path, string? header = null, string? value = null, string? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        if (body is not null) request.Content = new StringContent(body);
        var response = await _edge.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        return (response, json["acted"]!.GetValue<string>());
    }

    static string CacheStatus(HttpResponseMessage response) => response.Headers.GetValues("Cache-Status").Single();

    [Theory]
    [InlineData("X-Original-URL", "/admin")]
    [InlineData("X-Rewrite-URL", "/admin")]
    [InlineData("X-HTTP-Method-Override", "DELETE")]
    [InlineData("X-HTTP-Method", "DELETE")]
    [InlineData("X-Method-Override", "DELETE")]
    public async Task OverrideHeader_BypassesCacheAndIsNotForwarded_CleanClientGetsCleanAnswer(string header, string value)
    {
        var (poisoning, acted) = await GetAsync("/items/a", header, value);

        poisoning.StatusCode.ShouldBe(HttpStatusCode.OK);
        CacheStatus(poisoning).ShouldBe("Portico; fwd=bypass; detail=override-header");
        acted.ShouldBe("clean");
        _edge.Backend.Received.ShouldHaveSingleItem().Headers.ShouldNotContainKey(header);

        var (clean, cleanActed) = await GetAsync("/items/a");
        var (again, _) = await GetAsync("/items/a");

        cleanActed.ShouldBe("clean");
        CacheStatus(clean).ShouldStartWith("Portico; fwd=uri-miss; stored");
        CacheStatus(again).ShouldStartWith("Portico; hit");
        Volatile.Read(ref _calls).ShouldBe(2);
    }

    [Fact]
    public async Task OverrideHeader_CleanEntryStored_IsNotServedToTheOverridingRequest()
    {
        await GetAsync("/items/b");

        var (overriding, _) = await GetAsync("/items/b", "X-Original-URL", "/admin");

        CacheStatus(overriding).ShouldBe("Portico; fwd=bypass; detail=override-header");
        Volatile.Read(ref _calls).ShouldBe(2);
    }

    [Fact]
    public async Task GetWithBody_BypassesCache_CleanClientGetsCleanAnswer()
    {
        var (poisoning, acted) = await GetAsync("/items/c", body: "{\"poison\":true}");

        CacheStatus(poisoning).ShouldBe("Portico; fwd=bypass; detail=request-body");
        acted.ShouldBe("body");

        var (clean, cleanActed) = await GetAsync("/items/c");

        cleanActed.ShouldBe("clean");
        CacheStatus(clean).ShouldStartWith("Portico; fwd=uri-miss; stored");
        Volatile.Read(ref _calls).ShouldBe(2);
    }

    [Fact]
    public async Task KeptOverrideHeader_ForwardedButStillBypassesCache()
    {
        var (kept, acted) = await GetAsync("/kept/a", "X-HTTP-Method-Override", "DELETE");
        var (clean, cleanActed) = await GetAsync("/kept/a");

        acted.ShouldBe("method DELETE");
        CacheStatus(kept).ShouldBe("Portico; fwd=bypass; detail=override-header");
        cleanActed.ShouldBe("clean");
        CacheStatus(clean).ShouldStartWith("Portico; fwd=uri-miss; stored");
    }
}
