using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Portico.Auth;
using Portico.Hosting;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// Consumers and keys created at runtime (the consumers file the CLI writes): a running gateway accepts and
/// refuses them as the file changes, and a restarted gateway still knows them.
public sealed class RuntimeConsumersTests : IAsyncLifetime
{
    TestBackend _backend = null!;
    string _dir = null!;
    string _configPath = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("users");
        _dir = Directory.CreateTempSubdirectory("portico-consumers-").FullName;
        _configPath = Path.Combine(_dir, "portico.yaml");
        await File.WriteAllTextAsync(_configPath, $$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              users: { urls: ["{{_backend.Url}}"] }
            auth:
              apikey: {}
            routes:
              - name: users
                match: { path: "/users/{id}" }
                service: users
                auth: [apikey]
            """, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    async Task<WebApplication> StartGatewayAsync()
    {
        var app = PorticoHost.Create(new PorticoHostOptions { ConfigPath = _configPath, WatchConfigFile = false, LogFormat = "text" });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    static async Task<HttpStatusCode> GetAsync(WebApplication app, string key)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{PorticoHost.PortsOf(app, "default")[0]}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    /// Changes the file as the CLI does and completes when the gateway has re-read it with <paramref name="expectedKeys"/> keys.
    static async Task ChangeAndWaitAsync(WebApplication app, string path, int expectedKeys, Action<ConsumerFile.Data> change)
    {
        var consumers = app.Services.GetRequiredService<RuntimeConsumers>();
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReloaded(int keys)
        {
            if (keys == expectedKeys) loaded.TrySetResult();
        }
        consumers.Reloaded += OnReloaded;
        try
        {
            ConsumerFile.Update(path, data =>
            {
                change(data);
                return true;
            });
            await loaded.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        finally
        {
            consumers.Reloaded -= OnReloaded;
        }
    }

    static ConsumerFile.StoredKey Stored(string key)
    {
        var hash = ApiKeys.Hash(key);
        return new ConsumerFile.StoredKey(ConsumerFile.KeyId(hash), hash, DateTimeOffset.UtcNow, null);
    }

    [Fact]
    public async Task ConsumersFile_KeyAddedThenRevoked_IsAcceptedThenRefused_WithoutRestart()
    {
        var path = Path.Combine(_dir, "portico-consumers.json");
        var key = ApiKeys.Generate();
        await using var gateway = await StartGatewayAsync();
        (await GetAsync(gateway, key)).ShouldBe(HttpStatusCode.Unauthorized);

        await ChangeAndWaitAsync(gateway, path, 1, data => data.Consumers.Add(new ConsumerFile.StoredConsumer("mobile", ["users:read"], [Stored(key)])));
        var accepted = await GetAsync(gateway, key);
        await ChangeAndWaitAsync(gateway, path, 0, data => data.Consumers[0].Keys.Clear());
        var revoked = await GetAsync(gateway, key);

        accepted.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Last().Headers["X-Consumer"].ShouldBe("mobile");
        revoked.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ConsumersFile_GatewayRestarted_KeepsConsumersAndKeysCreatedAtRuntime()
    {
        var path = Path.Combine(_dir, "portico-consumers.json");
        var key = ApiKeys.Generate();
        var first = await StartGatewayAsync();
        await ChangeAndWaitAsync(first, path, 1, data => data.Consumers.Add(new ConsumerFile.StoredConsumer("mobile", [], [Stored(key)])));
        (await GetAsync(first, key)).ShouldBe(HttpStatusCode.OK);
        await first.StopAsync(TestContext.Current.CancellationToken);
        await first.DisposeAsync();

        await using var second = await StartGatewayAsync();

        (await GetAsync(second, key)).ShouldBe(HttpStatusCode.OK);
        Directory.GetFiles(_dir, "*.tmp").ShouldBeEmpty();
    }
}
