using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hosting;

/// Embedded, a request on a gateway's listener that no Portico route takes is answered as `portico run` answers
/// it (problem+json 404, or 405 for a wrong method); on the app's own listener the app's answers stay the app's.
public sealed class EmbeddedUnmatchedRequestTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-unmatched").FullName;
    TestBackend _backend = null!;
    EmbeddedApp _embedded = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        var config = Path.Combine(_dir, "portico.yaml");
        await File.WriteAllTextAsync(config, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              users: { urls: ["{{_backend.Url}}"] }
            routes:
              - name: users
                match: { path: "/api/users/{id}", methods: [GET] }
                service: users
            """);
        _embedded = await EmbeddedApp.StartAsync(builder => builder.Services.AddPortico(o => o.ConfigPath = config),
            app => app.MapGet("/app/hello", () => "hello from the app"));
    }

    public async ValueTask DisposeAsync()
    {
        await _embedded.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("/nothing/here")]
    [InlineData("/app/hello")] // the app's endpoint is not served on the gateway's listener
    public async Task GatewayListener_NoRouteMatches_ProblemJson404(string path)
    {
        using var response = await _embedded.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var problem = await EmbeddedApp.ProblemAsync(response);
        problem.GetProperty("type").GetString().ShouldBe("urn:portico:problem:no-route");
        problem.GetProperty("detail").GetString().ShouldBe($"No route matches GET {path}.");
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task GatewayListener_WrongMethod_ProblemJson405_WithAllow()
    {
        using var response = await _embedded.Client.DeleteAsync("/api/users/1", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await EmbeddedApp.ProblemAsync(response)).GetProperty("type").GetString().ShouldBe("urn:portico:problem:method-not-allowed");
        response.Content.Headers.Allow.ShouldContain("GET");
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task GatewayListener_RouteMatches_Forwarded()
    {
        using var response = await _embedded.GetAsync("/api/users/1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/api/users/1"]);
    }

    [Fact]
    public async Task AppListener_NoEndpointMatches_TheAppsOwn404()
    {
        using var missing = await _embedded.GetAsync(_embedded.AppUrl + "/nothing/here");
        using var hello = await _embedded.GetAsync(_embedded.AppUrl + "/app/hello");

        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        missing.Content.Headers.ContentType.ShouldBeNull();
        (await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBeEmpty();
        hello.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hello.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("hello from the app");
        _backend.Received.ShouldBeEmpty();
    }
}
