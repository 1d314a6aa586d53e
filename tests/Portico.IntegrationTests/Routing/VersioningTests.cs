using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// One public path, two backend versions: v2 is chosen by header, by path prefix or by media type.
public sealed class VersioningTests : IAsyncLifetime
{
    TestBackend _users = null!;
    TestBackend _usersV2 = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _users = await TestBackend.StartAsync("users");
        _usersV2 = await TestBackend.StartAsync("users-v2");
        _gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{_users.Url}}"] }
              users-v2: { urls: ["{{_usersV2.Url}}"] }
            routes:
              - name: user
                match: { path: "/api/users/{id}" }
                service: users
                rewrite: /users/{id}
              - name: user-v2-by-header
                match: { path: "/api/users/{id}", headers: { Api-Version: "2" } }
                service: users-v2
                rewrite: /v2/people/{id}
              - name: user-v2-by-accept
                match: { path: "/api/users/{id}", accept: [application/vnd.portico.v2+json] }
                service: users-v2
                rewrite: /v2/people/{id}
              - name: user-v2-by-path
                match: { path: "/api/v2/users/{id}" }
                service: users-v2
                rewrite: /v2/people/{id}
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _usersV2.DisposeAsync();
        await _users.DisposeAsync();
    }

    [Fact]
    public async Task Get_NoVersionSignal_ReachesDefaultVersion()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/7");

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("users");
        reply.Path.ShouldBe("/users/7");
    }

    [Fact]
    public async Task Get_ApiVersionHeader2_ReachesV2WithRewrittenPath()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/7", r => r.Headers.Add("Api-Version", "2"));

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("users-v2");
        reply.Path.ShouldBe("/v2/people/7");
    }

    [Fact]
    public async Task Get_ApiVersionHeaderOtherValue_ReachesDefaultVersion()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/7", r => r.Headers.Add("Api-Version", "3"));

        reply.Backend.ShouldBe("users");
    }

    [Fact]
    public async Task Get_V2PathPrefix_ReachesV2WithRewrittenPath()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/v2/users/8");

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("users-v2");
        reply.Path.ShouldBe("/v2/people/8");
    }

    [Fact]
    public async Task Get_AcceptV2MediaType_ReachesV2()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/9", r => r.Headers.TryAddWithoutValidation("Accept", "application/vnd.portico.v2+json"));

        reply.Backend.ShouldBe("users-v2");
        reply.Path.ShouldBe("/v2/people/9");
    }

    [Fact]
    public async Task Get_AcceptListIncludingV2AmongOthers_ReachesV2()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/9",
            r => r.Headers.TryAddWithoutValidation("Accept", "text/html, application/vnd.portico.v2+json;q=0.8, application/json;q=0.5"));

        reply.Backend.ShouldBe("users-v2");
    }

    [Fact]
    public async Task Get_AcceptV2WithQZero_ReachesDefaultVersion()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/9",
            r => r.Headers.TryAddWithoutValidation("Accept", "application/json, application/vnd.portico.v2+json;q=0"));

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe("users");
        reply.Path.ShouldBe("/users/9");
    }

    [Fact]
    public async Task Get_AcceptOnlyJson_ReachesDefaultVersion()
    {
        var reply = await BackendReply.GetAsync(_client, "/api/users/9", r => r.Headers.TryAddWithoutValidation("Accept", "application/json"));

        reply.Backend.ShouldBe("users");
    }
}
