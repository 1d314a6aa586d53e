using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Auth;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hosting;

/// Portico inside an app of its own (AddPortico + MapPortico): the app keeps its endpoints, its port and its
/// logging; Portico serves its routes, with their auth and path rules, on the gateway's own listener.
public sealed class EmbeddedPorticoTests : IAsyncLifetime
{
    static readonly string Key = ApiKeys.Generate();

    readonly string _dir = Directory.CreateTempSubdirectory("portico-embedded").FullName;
    readonly ConcurrentQueue<string> _appLog = new();
    TestBackend _backend = null!;
    EmbeddedApp _embedded = null!;
    string _appUrl = "";
    string _gatewayUrl = "";
    string _configPath = "";

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        _configPath = Path.Combine(_dir, "portico.yaml");
        await File.WriteAllTextAsync(_configPath, Config(extraRoute: ""));

        _embedded = await EmbeddedApp.StartAsync(builder =>
        {
            // The app's own logging: Portico must log through it, not replace it.
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerProvider>(_ => new QueueLoggerProvider(_appLog));
            builder.Services.AddPortico(o => o.ConfigPath = _configPath);
        }, app => app.MapGet("/app/hello", () => "hello from the app"), slim: false);
        _gatewayUrl = _embedded.GatewayUrl;
        _appUrl = _embedded.AppUrl;
    }

    string Config(string extraRoute) => $$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"] }
        services:
          users: { urls: ["{{_backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            app: { keys: ["{{ApiKeys.Hash(Key)}}"] }
        routes:
          - name: users
            match: { path: "/api/users/{id}", methods: [GET] }
            service: users
            auth: [apikey]
          - name: legacy
            match: { path: "/{**rest}" }
            service: users
        {{extraRoute}}
        """;

    public async ValueTask DisposeAsync()
    {
        await _embedded.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    Task<HttpResponseMessage> GetAsync(string url, string? key = null) => _embedded.GetAsync(url, key);

    [Fact]
    public async Task AppEndpoint_ServedOnTheAppsPort_BesidePortico()
    {
        using var response = await GetAsync(_appUrl + "/app/hello");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldBe("hello from the app");
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task AppEndpoint_NotServedOnTheGatewayListener()
    {
        // The gateway's listener is Portico's edge: the app's endpoints stay on the app's ports. Here Portico's
        // catch-all takes the path to the service instead.
        using var response = await GetAsync(_gatewayUrl + "/app/hello");

        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldNotBe("hello from the app");
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/app/hello"]);
    }

    [Fact]
    public async Task PorticoRoute_OnTheGatewayListener_AuthenticatesAndForwards()
    {
        using var refused = await GetAsync(_gatewayUrl + "/api/users/1");
        using var allowed = await GetAsync(_gatewayUrl + "/api/users/1", Key);

        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/api/users/1"]);
    }

    [Fact]
    public async Task PorticoRoutes_NotServedOnTheAppsPort()
    {
        // Portico's catch-all would take any path on its own listener; on the app's port the app answers alone.
        using var response = await GetAsync(_appUrl + "/anything");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task PathConfusion_OnTheGatewayListener_StillCannotReachTheProtectedRoute()
    {
        // `//api/users/1` would miss the protected route and match the anonymous catch-all without normalization.
        var (status, _) = await Hostile.PathConfusionTests.RawGetAsync(new Uri(_gatewayUrl), "//api/users/1");

        status.ShouldBe(401);
        _backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task AppLogging_KeptAndUsedByPortico()
    {
        // The app's only log provider received Portico's startup line: Portico logged through it.
        _appLog.ShouldContain(line => line.Contains("Configuration version 1 applied", StringComparison.Ordinal));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ConfigFile_Changed_ReloadedInTheEmbeddingApp()
    {
        var path = Path.Combine(_dir, "next.yaml");
        await File.WriteAllTextAsync(path, Config("""
              - name: orders
                match: { path: "/orders/{id}" }
                service: users
                rewrite: "/o/{id}"
            """), TestContext.Current.CancellationToken);
        File.Move(path, _configPath, overwrite: true);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_backend.Received.Any(r => r.PathAndQuery == "/o/7"))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the changed config was not applied within 30 s");
            using var _ = await GetAsync(_gatewayUrl + "/orders/7");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
