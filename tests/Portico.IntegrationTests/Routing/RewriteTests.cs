using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Rewrites seen at the upstream over real HTTP: encoded values stay encoded once, catch-alls keep their
/// segments, and a rewrite's query is merged with the client's.
public sealed class RewriteTests : IAsyncLifetime
{
    TestBackend _backend = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("upstream");
        _gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              # Encoded slashes are refused by default; these tests check how a kept one is forwarded.
              default: { listen: ["http://127.0.0.1:0"], paths: { escapedSlashes: keep } }
            services:
              upstream: { urls: ["{{_backend.Url}}"] }
            routes:
              - name: user
                match: { path: "/api/users/{id}" }
                service: upstream
                rewrite: /users/{id}
              - name: legacy
                match: { path: "/old/{**rest}" }
                service: upstream
                rewrite: /legacy/{rest}
              - name: search
                match: { path: "/find/{term}" }
                service: upstream
                rewrite: /search?q={term}&source=gateway
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/users/a%20b", "/users/a%20b")]
    [InlineData("/api/users/caf%C3%A9", "/users/caf%C3%A9")]
    [InlineData("/api/users/a%3Fb", "/users/a%3Fb")]
    [InlineData("/api/users/a%2Fb", "/users/a%2Fb")]
    [InlineData("/api/users/50%2541", "/users/50%2541")]
    [InlineData("/api/users/%252e%252e", "/users/%252e%252e")]
    public async Task Rewrite_EncodedValue_ReachesUpstreamEncodedOnce(string url, string expected)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.ShouldContain(r => r.RawTarget == expected, $"received: {string.Join(", ", _backend.Received.Select(r => r.RawTarget))}");
    }

    [Theory]
    [InlineData("/old/%252e%252e/secret", "/legacy/%252e%252e/secret")]
    [InlineData("/old/a%2Fb/c", "/legacy/a%2Fb/c")]
    public async Task Rewrite_CatchAllWithEncodedValues_NotDecodedTwice(string url, string expected)
    {
        using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.ShouldContain(r => r.RawTarget == expected, $"received: {string.Join(", ", _backend.Received.Select(r => r.RawTarget))}");
    }

    [Fact]
    public async Task Rewrite_CatchAll_KeepsSegmentsAndClientQuery()
    {
        using var response = await _client.GetAsync("/old/a/b%20c/d?x=1&y=two", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.ShouldContain(r => r.PathAndQuery == "/legacy/a/b%20c/d?x=1&y=two");
    }

    [Fact]
    public async Task Rewrite_QueryTemplate_MergedWithClientQuery()
    {
        using var response = await _client.GetAsync("/find/blue%20shoes?page=2&source=client", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var received = _backend.Received.Single(r => r.PathAndQuery.StartsWith("/search?", StringComparison.Ordinal)).PathAndQuery;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(received[received.IndexOf('?')..]);
        query["q"].ToString().ShouldBe("blue shoes");
        query["source"].ToString().ShouldBe("gateway");
        query["page"].ToString().ShouldBe("2");
    }
}
