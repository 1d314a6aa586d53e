using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

public sealed class CachePurgeTests
{
    static string Routes(TestBackend backend) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        cachePolicies:
          short: { ttl: 5m }
        routes:
          - { name: items, match: { path: "/items/{**rest}" }, service: api, cache: short }
          - { name: others, match: { path: "/others/{**rest}" }, service: api, cache: short }
        """;

    static async Task<string> StatusAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return response.Headers.GetValues("Cache-Status").Single();
    }

    [Fact]
    public async Task Purge_ByRouteOnTheMemoryStore_RunningGatewayEvictsThatRouteOnly()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Routes(backend));
        using var client = gateway.CreateClient();
        await StatusAsync(client, "/items/1");
        await StatusAsync(client, "/others/1");
        (await StatusAsync(client, "/items/1")).ShouldStartWith("Portico; hit");

        var (exit, output) = await CliProcess.RunAsync("cache", "purge", "--route", "items", "-c", gateway.ConfigPath);

        exit.ShouldBe(0, output);
        output.ShouldContain("purged route items on the running gateway");
        (await StatusAsync(client, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss; stored");
        (await StatusAsync(client, "/others/1")).ShouldStartWith("Portico; hit");
        backend.CallsTo("/items/1").ShouldBe(2);
    }

    [Fact]
    public async Task Purge_ByPrefix_EvictsWholeSegmentsUnderIt()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Routes(backend));
        using var client = gateway.CreateClient();
        foreach (var path in new[] { "/items/a/1", "/items/a", "/items/ab/1" }) await StatusAsync(client, path);

        var (exit, output) = await CliProcess.RunAsync("cache", "purge", "--prefix", "/items/a/", "-c", gateway.ConfigPath);

        exit.ShouldBe(0, output);
        (await StatusAsync(client, "/items/a/1")).ShouldStartWith("Portico; fwd=uri-miss");
        (await StatusAsync(client, "/items/a")).ShouldStartWith("Portico; fwd=uri-miss");
        (await StatusAsync(client, "/items/ab/1")).ShouldStartWith("Portico; hit");
    }

    [Fact]
    public async Task Purge_UnknownRoute_RefusedWithASuggestion()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Routes(backend));

        var (exit, output) = await CliProcess.RunAsync("cache", "purge", "--route", "itemz", "-c", gateway.ConfigPath);

        exit.ShouldBe(1);
        output.ShouldContain("no route 'itemz'");
        output.ShouldContain("items");
    }

    [Fact]
    public async Task Purge_TwoNodesSharingRedis_TakesEffectOnBoth()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        var yaml = Routes(backend) + $"\nstore: {{ kind: redis, connection: \"127.0.0.1:{redis.Port}\" }}\n";
        await using var one = await GatewayProcess.StartAsync(yaml);
        await using var two = await GatewayProcess.StartAsync(yaml);
        // Behind a load balancer every node sees the public host name; the host is part of the cache key.
        using var clientOne = new HttpClient { BaseAddress = one.BaseAddress, DefaultRequestHeaders = { Host = "api.example" } };
        using var clientTwo = new HttpClient { BaseAddress = two.BaseAddress, DefaultRequestHeaders = { Host = "api.example" } };

        (await StatusAsync(clientOne, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss; stored");
        (await StatusAsync(clientTwo, "/items/1")).ShouldStartWith("Portico; hit");
        (await StatusAsync(clientTwo, "/items/2")).ShouldStartWith("Portico; fwd=uri-miss; stored");
        (await StatusAsync(clientOne, "/items/2")).ShouldStartWith("Portico; hit");

        var (exit, output) = await CliProcess.RunAsync("cache", "purge", "--all", "-c", one.ConfigPath);

        exit.ShouldBe(0, output);
        output.ShouldContain("evicted from Redis");
        (await StatusAsync(clientOne, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss");
        (await StatusAsync(clientTwo, "/items/2")).ShouldStartWith("Portico; fwd=uri-miss");
        backend.CallsTo("/items/1").ShouldBe(2);
        backend.CallsTo("/items/2").ShouldBe(2);
    }

    [Fact]
    public async Task RedisStore_HitOnARateLimitedRoute_CarriesThisRequestsRateLimit()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        var yaml = Routes(backend).Replace("cache: short }", "cache: short, rateLimit: few }", StringComparison.Ordinal)
            + $"\nrateLimits:\n  few: {{ algorithm: fixed-window, limit: 10, window: 1h, key: ip }}\nstore: {{ kind: redis, connection: \"127.0.0.1:{redis.Port}\" }}\n";
        await using var gateway = await GatewayUnderTest.StartAsync(yaml);
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/items/3", TestContext.Current.CancellationToken);
        using var second = await client.GetAsync("/items/3", TestContext.Current.CancellationToken);

        second.Headers.GetValues("Cache-Status").Single().ShouldStartWith("Portico; hit");
        first.Headers.GetValues("RateLimit").Single().ShouldContain(";r=9");
        // The entry in Redis holds the first request's count; the hit shows its own.
        second.Headers.GetValues("RateLimit").Single().ShouldContain(";r=8");
        backend.CallsTo("/items/3").ShouldBe(1);
    }

    [Fact]
    public async Task RedisStore_RedisDownThenBack_ServedByUpstreamMeanwhileAndCachesAgain()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        var yaml = Routes(backend) + $"\nstore: {{ kind: redis, connection: \"127.0.0.1:{redis.Port}\", timeout: 200ms }}\n";
        await using var gateway = await GatewayUnderTest.StartAsync(yaml);
        using var client = gateway.CreateClient();
        (await StatusAsync(client, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss; stored");

        await redis.KillAsync();
        (await StatusAsync(client, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss");
        (await StatusAsync(client, "/items/1")).ShouldStartWith("Portico; fwd=uri-miss");

        await redis.StartAsync();
        var status = await RateLimiting.Poll.UntilAsync(async () =>
        {
            await StatusAsync(client, "/items/2");
            return await StatusAsync(client, "/items/2");
        }, s => s.StartsWith("Portico; hit", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        status.ShouldStartWith("Portico; hit");
    }

    [Fact]
    public async Task Cache_OverItsSizeLimit_KeepsNoMoreThanFits()
    {
        var body = new string('x', 300 * 1024);
        await using var backend = await TestBackend.StartAsync("api", app =>
            Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, "/items/big/{n}", () => body));
        await using var gateway = await GatewayUnderTest.StartAsync(Routes(backend) + "\nserver: { cache: { size: 1MiB } }\n");
        using var client = gateway.CreateClient();

        for (var n = 0; n < 6; n++) await StatusAsync(client, $"/items/big/{n}");
        var hits = 0;
        for (var n = 0; n < 6; n++) hits += (await StatusAsync(client, $"/items/big/{n}")).StartsWith("Portico; hit", StringComparison.Ordinal) ? 1 : 0;

        // Six 300 KiB bodies cannot all live in 1 MiB: at most three are served from the cache.
        hits.ShouldBeLessThanOrEqualTo(3);
    }
}
