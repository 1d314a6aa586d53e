using System.Net;
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
    readonly SettableConfigurationSource _overrides = new();
    TestBackend _backend = null!;
    EmbeddedApp _embedded = null!;
    HttpClient Client => _embedded.Client;
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
        _embedded = await EmbeddedApp.StartAsync(builder =>
        {
            builder.Configuration.AddJsonFile(_settings, optional: false, reloadOnChange: true);
            ((IConfigurationBuilder)builder.Configuration).Add(_overrides);
            builder.Services.AddSingleton<ILoggerProvider>(_ => new QueueLoggerProvider(_log));
            builder.Services.AddPortico(o => o.Configuration = builder.Configuration.GetSection("Portico"));
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _embedded.DisposeAsync();
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    GatewayRuntime Runtime => (GatewayRuntime)_embedded.App.Services.GetService(typeof(GatewayRuntime))!;

    Task WaitForVersionAsync(long version) =>
        EmbeddedApp.WaitUntilAsync(() => Runtime.Current.Version >= version, $"config version {version} was not applied");

    /// The running config's rewrite of the one route.
    string? RunningRewrite => Runtime.Current.Config.Routes.Single().Rewrite;

    [Fact]
    public async Task RouteFromAppSettings_Served()
    {
        using var response = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7"]);
    }

    [Fact]
    public async Task AppSettingsChanged_Reapplied()
    {
        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "users", "rewrite": "/v2/{id}" }"""),
            TestContext.Current.CancellationToken);
        await WaitForVersionAsync(2);

        using var response = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v2/7"]);
    }

    [Fact]
    public async Task BrokenChange_KeepsTheRunningConfig_AndTheNextGoodOneApplies()
    {
        // An unknown service: refused (logged), version 1 keeps serving; then a good change becomes version 2.
        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "nobody" }"""),
            TestContext.Current.CancellationToken);
        await EmbeddedApp.WaitUntilAsync(() => _log.Any(l => l.Contains("unknown service 'nobody'", StringComparison.Ordinal)), "the broken change was not refused");
        using (var stillServing = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken))
            stillServing.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7"]);

        await File.WriteAllTextAsync(_settings, Settings("""{ "name": "users", "match": { "path": "/api/users/{id}" }, "service": "users", "rewrite": "/v3/{id}" }"""),
            TestContext.Current.CancellationToken);
        await WaitForVersionAsync(2);

        using var response = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7", "/v3/7"]);
    }

    [Fact]
    public async Task AppSettingsDeleted_Refused_RunningConfigKept()
    {
        // The provider then holds nothing: an empty section is refused like any config that does not load.
        File.Delete(_settings);
        await EmbeddedApp.WaitUntilAsync(() => _log.Any(l => l.Contains("'Portico' is empty or missing", StringComparison.Ordinal)), "the emptied section was not refused");

        using var response = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Runtime.Current.Version.ShouldBe(1);
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/v1/7"]);
    }

    [Fact]
    public async Task ChangesInQuickSuccession_TheLastOneApplies_NoneOvertakesIt()
    {
        // Each change is announced on this thread; they arrive faster than a reload applies, so some are applied
        // while others wait: whatever is applied in between, the newest must be the one left running.
        for (var i = 2; i <= 30; i++)
            _overrides.Change("Portico:routes:0:rewrite", $"/r{i}/{{id}}");
        await EmbeddedApp.WaitUntilAsync(() => RunningRewrite == "/r30/{id}", "the last change was not applied");
        // Any reload still queued would be older, and must not replace it.
        var applied = Runtime.Current.Version;
        _overrides.Change("Portico:routes:0:rewrite", "/last/{id}");
        await WaitForVersionAsync(applied + 1);

        using var response = await Client.GetAsync("/api/users/7", TestContext.Current.CancellationToken);

        RunningRewrite.ShouldBe("/last/{id}");
        _backend.Received.Select(r => r.PathAndQuery).ShouldBe(["/last/7"]);
        _log.ShouldNotContain(l => l.Contains("failed", StringComparison.OrdinalIgnoreCase));
    }

    /// A configuration provider the test changes, announcing each change as a file provider does once it reloaded.
    sealed class SettableConfigurationSource : IConfigurationSource
    {
        readonly Provider _provider = new();

        public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

        public void Change(string key, string value) => _provider.Change(key, value);

        sealed class Provider : ConfigurationProvider
        {
            public void Change(string key, string value)
            {
                Data[key] = value;
                OnReload();
            }
        }
    }
}
