using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Strangler fig: a catch-all sends everything not yet migrated to the monolith, beside specific routes.
public sealed class StranglerTests : IAsyncLifetime
{
    TestBackend _monolith = null!;
    TestBackend _users = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _monolith = await TestBackend.StartAsync("monolith", app =>
            app.MapPost("/orders/{**rest}", async (Microsoft.AspNetCore.Http.HttpContext c) =>
            {
                using var reader = new StreamReader(c.Request.Body);
                return Microsoft.AspNetCore.Http.Results.Json(new { backend = "monolith", path = c.Request.Path.Value, query = c.Request.QueryString.Value, body = await reader.ReadToEndAsync() });
            }));
        _users = await TestBackend.StartAsync("users");
        _gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              # Encoded slashes are refused by default; these tests check how a kept one is forwarded.
              default: { listen: ["http://127.0.0.1:0"], paths: { escapedSlashes: keep } }
            services:
              monolith: { urls: ["{{_monolith.Url}}"] }
              users: { urls: ["{{_users.Url}}"] }
            routes:
              - name: user
                match: { path: "/api/users/{id}", methods: [GET] }
                service: users
                rewrite: /users/{id}
              - name: legacy
                match: { path: "/{**rest}" }
                service: monolith
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _users.DisposeAsync();
        await _monolith.DisposeAsync();
    }

    [Theory]
    [InlineData("/catalog/items/5?color=red&size=m", "/catalog/items/5", "?color=red&size=m")]
    [InlineData("/", "/", "")]
    [InlineData("/api/users", "/api/users", "")]
    [InlineData("/api/users/1/orders?page=2", "/api/users/1/orders", "?page=2")]
    [InlineData("/a%20b/c", "/a b/c", "")]
    [InlineData("/x/%252e%252e/secret", "/x/%2e%2e/secret", "")]
    [InlineData("/x/50%2541?p=%2541", "/x/50%41", "?p=%2541")]
    [InlineData("/x/a%2Fb", "/x/a%2Fb", "")]
    public async Task Get_UnmigratedPath_ReachesMonolithWithPathAndQueryIntact(string url, string path, string query)
    {
        var reply = await BackendReply.GetAsync(_client, url);

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("monolith");
        reply.Path.ShouldBe(path);
        reply.Query.ShouldBe(query);
        _monolith.Received.ShouldContain(r => r.RawTarget == url, $"received: {string.Join(", ", _monolith.Received.Select(r => r.RawTarget))}");
    }

    [Fact]
    public async Task Post_UnmigratedPath_ReachesMonolithWithBody()
    {
        using var content = new StringContent("{\"sku\":\"a1\"}", System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync("/orders/new?source=web", content, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        body.ShouldContain("\"backend\":\"monolith\"");
        body.ShouldContain("\"path\":\"/orders/new\"");
        body.ShouldContain("\"query\":\"?source=web\"");
        body.ShouldContain("sku");
    }

    [Fact]
    public async Task Get_MigratedRoute_NeverReachesMonolith()
    {
        for (var i = 0; i < 20; i++)
        {
            var reply = await BackendReply.GetAsync(_client, $"/api/users/{i}?x=1");
            reply.Backend.ShouldBe("users");
            reply.Path.ShouldBe($"/users/{i}");
        }

        _monolith.Received.ShouldNotContain(r => r.PathAndQuery.StartsWith("/api/users/", StringComparison.Ordinal));
        _users.Received.Count.ShouldBe(20);
    }

    [Fact]
    public async Task Post_MethodNotAllowedOnMigratedRoute_FallsThroughToMonolith()
    {
        using var content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync("/api/users/1", content, TestContext.Current.CancellationToken);

        var reply = await BackendReply.ReadAsync(response);
        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("monolith");
        reply.Path.ShouldBe("/api/users/1");
        _users.Received.ShouldBeEmpty();
    }
}
