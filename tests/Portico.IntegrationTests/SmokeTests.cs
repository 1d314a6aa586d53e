using System.Net;
using System.Text.Json;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests;

public sealed class SmokeTests
{
    [Fact]
    public async Task ProxyRoute_RewritesPathAndForwards()
    {
        await using var users = await TestBackend.StartAsync("users");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
            routes:
              - name: user
                match: { path: "/api/users/{id}", methods: [GET] }
                service: users
                rewrite: /users/{id}
            """);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/api/users/42?verbose=1", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        body.RootElement.GetProperty("path").GetString().ShouldBe("/users/42");
        body.RootElement.GetProperty("query").GetString().ShouldBe("?verbose=1");
    }
}
