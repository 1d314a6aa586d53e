using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Two named gateways (BFF per client type) in one config: routes restricted per gateway, the same path
/// mapped to different services, and a service shared by both.
public sealed class NamedGatewayTests : IAsyncLifetime
{
    TestBackend _webUsers = null!;
    TestBackend _mobileUsers = null!;
    TestBackend _catalog = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _web = null!;
    HttpClient _mobile = null!;

    public async ValueTask InitializeAsync()
    {
        _webUsers = await TestBackend.StartAsync("web-users");
        _mobileUsers = await TestBackend.StartAsync("mobile-users");
        _catalog = await TestBackend.StartAsync("catalog");
        _gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              web: { listen: ["http://127.0.0.1:0"], headers: { response: { set: { X-Gateway: web } } } }
              mobile: { listen: ["http://127.0.0.1:0"], headers: { response: { set: { X-Gateway: mobile } } } }
            services:
              web-users: { urls: ["{{_webUsers.Url}}"] }
              mobile-users: { urls: ["{{_mobileUsers.Url}}"] }
              catalog: { urls: ["{{_catalog.Url}}"] }
            routes:
              - name: web-profile
                match: { path: "/profile/{id}" }
                service: web-users
                gateways: [web]
              - name: mobile-profile
                match: { path: "/profile/{id}" }
                service: mobile-users
                gateways: [mobile]
                rewrite: /m/profile/{id}
              - name: web-dashboard
                match: { path: "/dashboard" }
                service: web-users
                gateways: [web]
              - name: mobile-feed
                match: { path: "/feed" }
                service: mobile-users
                gateways: [mobile]
              - name: web-settings
                match: { path: "/settings", methods: [GET] }
                service: web-users
                gateways: [web]
              - name: catalog
                match: { path: "/catalog/{**rest}" }
                service: catalog
            """);
        _web = _gateway.CreateClient("web");
        _mobile = _gateway.CreateClient("mobile");
    }

    public async ValueTask DisposeAsync()
    {
        _web.Dispose();
        _mobile.Dispose();
        await _gateway.DisposeAsync();
        await _catalog.DisposeAsync();
        await _mobileUsers.DisposeAsync();
        await _webUsers.DisposeAsync();
    }

    [Fact]
    public void Gateways_ListenOnDifferentPorts()
    {
        _gateway.BaseAddress("web").Port.ShouldNotBe(_gateway.BaseAddress("mobile").Port);
    }

    [Fact]
    public async Task SamePath_MappedToDifferentServicePerGateway()
    {
        var web = await BackendReply.GetAsync(_web, "/profile/3");
        var mobile = await BackendReply.GetAsync(_mobile, "/profile/3");

        web.Backend.ShouldBe("web-users");
        web.Path.ShouldBe("/profile/3");
        mobile.Backend.ShouldBe("mobile-users");
        mobile.Path.ShouldBe("/m/profile/3");
    }

    [Theory]
    [InlineData("web", "/dashboard", "web-users")]
    [InlineData("mobile", "/feed", "mobile-users")]
    public async Task GatewayOnlyRoute_ServedByItsGateway(string gateway, string path, string backend)
    {
        var reply = await BackendReply.GetAsync(gateway == "web" ? _web : _mobile, path);

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe(backend);
    }

    [Theory]
    [InlineData("mobile", "/dashboard")]
    [InlineData("web", "/feed")]
    public async Task GatewayOnlyRoute_OtherGatewayAnswers404Problem(string gateway, string path)
    {
        var reply = await BackendReply.GetAsync(gateway == "web" ? _web : _mobile, path);

        reply.Status.ShouldBe(HttpStatusCode.NotFound);
        reply.ContentType.ShouldBe("application/problem+json");
        reply.ProblemType.ShouldBe("urn:portico:problem:no-route");
        _webUsers.Received.ShouldNotContain(r => r.PathAndQuery == path && path == "/feed");
        _mobileUsers.Received.ShouldNotContain(r => r.PathAndQuery == path && path == "/dashboard");
    }

    [Fact]
    public async Task SharedService_ServedByBothGatewaysWithEachGatewaysDefaults()
    {
        using var web = await _web.GetAsync("/catalog/items", TestContext.Current.CancellationToken);
        using var mobile = await _mobile.GetAsync("/catalog/items", TestContext.Current.CancellationToken);

        (await BackendReply.ReadAsync(web)).Backend.ShouldBe("catalog");
        (await BackendReply.ReadAsync(mobile)).Backend.ShouldBe("catalog");
        web.Headers.GetValues("X-Gateway").ShouldBe(["web"]);
        mobile.Headers.GetValues("X-Gateway").ShouldBe(["mobile"]);
        _catalog.Received.Count(r => r.PathAndQuery == "/catalog/items").ShouldBe(2);
    }

    [Fact]
    public async Task OtherGatewaysMethodRoute_WrongMethod_Answers404NotMethodNotAllowed()
    {
        var mobile = await BackendReply.GetAsync(_mobile, "/settings", method: HttpMethod.Delete);
        var web = await BackendReply.GetAsync(_web, "/settings", method: HttpMethod.Delete);

        mobile.Status.ShouldBe(HttpStatusCode.NotFound);
        mobile.ProblemType.ShouldBe("urn:portico:problem:no-route");
        web.Status.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task OtherGatewaysMethodRoute_RightMethod_Answers404()
    {
        var mobile = await BackendReply.GetAsync(_mobile, "/settings");

        mobile.Status.ShouldBe(HttpStatusCode.NotFound);
        _webUsers.Received.ShouldNotContain(r => r.PathAndQuery == "/settings");
    }
}
