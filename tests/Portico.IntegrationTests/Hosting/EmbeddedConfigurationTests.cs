using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Compilation;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hosting;

/// Portico's config in the app's appsettings.json (an IConfiguration section): served, and applied again when
/// the file changes; a change that does not load keeps the running config.
public sealed class EmbeddedConfigurationTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("portico-appsettings").FullName;
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();
    TestBackend _backend = null!;
    WebApplication _app = null!;
    HttpClient _client = null!;
    string _settings = "";

    string Settings(string route) => $$"""
        {
          "Portico": {
            "gateways": { "default": { "listen": [ "http://127.0.0.1:0" ] } },
            "services": { "users": { "urls": [ "{{_backend.Url}}" ] } },
            "routes": [ {{route}} ]
          }
        }
        """;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        _settings = Path.Combine(_dir, "appsettings.json");
        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "users", "rewrite": "/v1/{id}" }"""));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddJsonFile(_settings, optional: false, reloadOnChange: true);
        builder.Services.AddSingleton<ILoggerProvider>(_ => new QueueLoggerProvider(_log));
        builder.Services.AddPortico(o => o.Configuration = builder.Configuration.GetSection("Portico"));
        _app = builder.Build();
        _app.MapPortico();
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{PorticoHost.PortsOf(_app, "default").Single()}") };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    async Task WaitForVersionAsync(long version)
    {
        var runtime = (GatewayRuntime)_app.Services.GetService(typeof(GatewayRuntime))!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (runtime.Current.Version < version)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"config version {version} was not applied within 30 s");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task RouteFromAppSettings_Served()
    {
        using var response = await _client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7"]);
    }

    [Fact]
    public async Task AppSettingsChanged_Reapplied()
    {
        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "users", "rewrite": "/v2/{id}" }"""),
            TestContext.Current.CancellationToken);
        await WaitForVersionAsync(2);

        using var response = await _client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v2/7"]);
    }

    [Fact]
    public async Task BrokenChange_KeepsTheRunningConfig_AndTheNextGoodOneApplies()
    {
        // An unknown service: refused (logged), version 1 keeps serving; then a good change becomes version 2.
        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "nobody" }"""),
            TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_log.Any(l => l.Contains("unknown service 'nobody'", StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the broken change was not refused within 30 s");
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
        using (var stillServing = await _client.GetAsync("/api/users/7", TestContext.Current.CancellationToken))
            stillServing.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7"]);

        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "users", "rewrite": "/v3/{id}" }"""),
            TestContext.Current.CancellationToken);
        await WaitForVersionAsync(2);

        using var response = await _client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7", "/v3/7"]);
    }
}
