using System.Diagnostics;
using System.Net;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Portico.IntegrationTests.Auth;

/// Runtime consumers and keys with `store: redis`: created and revoked with the CLI, seen by every node.
public sealed class ClusterConsumersTests
{
    static readonly string ConfigKey = ApiKeys.Derive("cluster-config-key");

    static string Config(TestBackend backend, RedisServer redis) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        store: { kind: redis, connection: "127.0.0.1:{{redis.Port}}", timeout: 300ms }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            declared-app: { keys: ["{{ApiKeys.Hash(ConfigKey)}}"] }
        routes:
          - { name: orders, match: { path: "/orders/{id}" }, service: api, auth: [apikey] }
        """;

    static async Task<HttpStatusCode> GetAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/1");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    static string Field(string output, string name) =>
        output.Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    [Fact]
    public async Task KeyCreatedWithTheCli_WorksOnBothNodes_RevokedIsRefusedByTheOtherWithinOneSecond()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var one = await GatewayProcess.StartAsync(Config(backend, redis));
        await using var two = await GatewayProcess.StartAsync(Config(backend, redis));
        using var clientOne = new HttpClient { BaseAddress = one.BaseAddress };
        using var clientTwo = new HttpClient { BaseAddress = two.BaseAddress };

        var (added, addOutput) = await CliProcess.RunAsync("consumers", "add", "mobile-app", "--scope", "orders:read", "-c", one.ConfigPath);
        added.ShouldBe(0, addOutput);
        var (created, createOutput) = await CliProcess.RunAsync("keys", "create", "--consumer", "mobile-app", "-c", one.ConfigPath);
        created.ShouldBe(0, createOutput);
        var key = Field(createOutput, "key");
        var keyId = Field(createOutput, "id");

        (await RateLimiting.Poll.UntilAsync(() => GetAsync(clientOne, key), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(2))).ShouldBe(HttpStatusCode.OK);
        (await RateLimiting.Poll.UntilAsync(() => GetAsync(clientTwo, key), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(2))).ShouldBe(HttpStatusCode.OK);
        File.Exists(Path.Combine(Path.GetDirectoryName(one.ConfigPath)!, "portico-consumers.json")).ShouldBeFalse("with store: redis nothing is written beside the config");

        var (revoked, revokeOutput) = await CliProcess.RunAsync("keys", "revoke", keyId, "-c", one.ConfigPath);
        revoked.ShouldBe(0, revokeOutput);
        var clock = Stopwatch.StartNew();
        var status = await RateLimiting.Poll.UntilAsync(() => GetAsync(clientTwo, key), s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
        clock.Stop();

        status.ShouldBe(HttpStatusCode.Unauthorized);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
        (await GetAsync(clientOne, key)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task RedisDown_KnownKeysStillWork_ChangesPropagateAgainAfterItReturns()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, redis));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        (await CliProcess.RunAsync("consumers", "add", "app", "-c", gateway.ConfigPath)).ExitCode.ShouldBe(0);
        var (_, first) = await CliProcess.RunAsync("keys", "create", "--consumer", "app", "-c", gateway.ConfigPath);
        var key = Field(first, "key");
        (await RateLimiting.Poll.UntilAsync(() => GetAsync(client, key), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(2))).ShouldBe(HttpStatusCode.OK);

        await redis.KillAsync();
        (await GetAsync(client, key)).ShouldBe(HttpStatusCode.OK);
        var (failed, failedOutput) = await CliProcess.RunAsync("keys", "create", "--consumer", "app", "-c", gateway.ConfigPath);
        failed.ShouldBe(1);
        failedOutput.ShouldContain("not reachable");

        // Redis comes back empty (it persists nothing here): the gateway resyncs to what Redis now holds.
        await redis.StartAsync();
        (await CliProcess.RunAsync("consumers", "add", "app2", "-c", gateway.ConfigPath)).ExitCode.ShouldBe(0);
        var (_, second) = await CliProcess.RunAsync("keys", "create", "--consumer", "app2", "-c", gateway.ConfigPath);
        var key2 = Field(second, "key");
        (await RateLimiting.Poll.UntilAsync(() => GetAsync(client, key2), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RedisDownAtStart_ConfigConsumersServe_RuntimeOnesLoadWhenItConnects_ThenChangesArrive()
    {
        // Redis holds a runtime consumer (saved to disk), then goes down before the node starts.
        await using var redis = await RedisServer.StartNewAsync();
        var early = ApiKeys.Generate();
        var stored = new ConsumerFile.StoredConsumer("early-app", [], [new(ConsumerFile.KeyId(ApiKeys.Hash(early)), ApiKeys.Hash(early), DateTimeOffset.UtcNow, null)]);
        using (var direct = await ConnectionMultiplexer.ConnectAsync(redis.Connection + ",allowAdmin=true"))
        {
            await direct.GetDatabase().HashSetAsync(RedisConsumerStore.HashKey, stored.Id, RedisConsumerStore.Serialize(stored));
            await direct.GetDatabase().ExecuteAsync("SAVE");
        }
        await redis.KillAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, redis));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        (await GetAsync(client, ConfigKey)).ShouldBe(HttpStatusCode.OK);
        (await GetAsync(client, early)).ShouldBe(HttpStatusCode.Unauthorized);
        await gateway.WaitForLogAsync(l => l.Contains("only the consumers declared in the config are accepted", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        // No announcement is made: the connect itself loads what Redis holds, long before the periodic resync.
        await redis.StartAsync();
        var clock = Stopwatch.StartNew();
        (await RateLimiting.Poll.UntilAsync(() => GetAsync(client, early), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10))).ShouldBe(HttpStatusCode.OK);
        clock.Elapsed.ShouldBeLessThan(RuntimeConsumers.ResyncEvery);

        // The subscription asked for while Redis was down is live: a revoke lands within a second.
        var (revoked, output) = await CliProcess.RunAsync("keys", "revoke", stored.Keys[0].Id, "-c", gateway.ConfigPath);
        revoked.ShouldBe(0, output);
        clock.Restart();
        var status = await RateLimiting.Poll.UntilAsync(() => GetAsync(client, early), s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));

        status.ShouldBe(HttpStatusCode.Unauthorized);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
        (await GetAsync(client, ConfigKey)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ChangeMissedWhileCutOff_AppliedByTheResyncWhenRedisReturns()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayProcess.StartAsync(Config(backend, redis));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        (await CliProcess.RunAsync("consumers", "add", "app", "-c", gateway.ConfigPath)).ExitCode.ShouldBe(0);
        var (_, created) = await CliProcess.RunAsync("keys", "create", "--consumer", "app", "-c", gateway.ConfigPath);
        var key = Field(created, "key");
        (await RateLimiting.Poll.UntilAsync(() => GetAsync(client, key), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(2))).ShouldBe(HttpStatusCode.OK);

        // The consumer goes away in Redis with no announcement (as if the node had been cut off when it was made),
        // and the data survives Redis's restart.
        using (var direct = await ConnectionMultiplexer.ConnectAsync(redis.Connection + ",allowAdmin=true"))
        {
            (await direct.GetDatabase().HashDeleteAsync(RedisConsumerStore.HashKey, "app")).ShouldBeTrue();
            await direct.GetDatabase().ExecuteAsync("SAVE");
        }
        await redis.KillAsync();
        (await GetAsync(client, key)).ShouldBe(HttpStatusCode.OK);

        await redis.StartAsync();
        var clock = Stopwatch.StartNew();
        var status = await RateLimiting.Poll.UntilAsync(() => GetAsync(client, key), s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10));

        status.ShouldBe(HttpStatusCode.Unauthorized);
        clock.Elapsed.ShouldBeLessThan(RuntimeConsumers.ResyncEvery);
        (await GetAsync(client, ConfigKey)).ShouldBe(HttpStatusCode.OK);
    }
}
