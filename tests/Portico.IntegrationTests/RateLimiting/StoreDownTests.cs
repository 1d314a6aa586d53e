using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// Redis killed while the gateway serves: onStoreDown decides, quickly, and both modes recover on their own.
public sealed class StoreDownTests
{
    static string Config(RedisServer redis, TestBackend backend) => $$"""
        store: { kind: redis, connection: "{{redis.Connection}}", timeout: 500ms }
        services:
          api: { urls: ["{{backend.Url}}"] }
        rateLimits:
          lenient: { algorithm: fixed-window, limit: 1000, window: 1h, onStoreDown: allow }
          strict: { algorithm: sliding-window, limit: 1000, window: 1h, onStoreDown: deny }
        routes:
          - { name: lenient, match: { path: /lenient }, service: api, rateLimit: lenient }
          - { name: strict, match: { path: /strict }, service: api, rateLimit: strict }
        """;

    [Fact]
    public async Task RedisKilledAndRestarted_AllowKeepsServingDenyAnswers503_BothRecoverWithoutRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var node = await GatewayProcess.StartAsync(Config(redis, backend));
        using var client = new HttpClient { BaseAddress = node.BaseAddress };
        (await client.GetAsync("/lenient", ct)).Headers.Contains("RateLimit").ShouldBeTrue();
        (await client.GetAsync("/strict", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await redis.KillAsync();
        var watch = Stopwatch.StartNew();
        var lenient = await client.GetAsync("/lenient", ct);
        var strict = await client.GetAsync("/strict", ct);
        watch.Stop();

        lenient.StatusCode.ShouldBe(HttpStatusCode.OK);
        lenient.Headers.Contains("RateLimit").ShouldBeFalse();
        strict.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var problem = await ProblemResponse.ReadAsync(strict, ct);
        problem.Type.ShouldBe("urn:portico:problem:rate-limit-store-unavailable");
        strict.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
        // Fast failure: each answer within the store timeout (500ms), not a hang; generous for a shared 2-core machine.
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3));
        await node.WaitForLogAsync(l => l.Contains("Rate limit store unreachable: policy lenient uses onStoreDown allow", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        await node.WaitForLogAsync(l => l.Contains("Rate limit store unreachable: policy strict uses onStoreDown deny", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        await redis.StartAsync();
        await node.WaitForLogAsync(l => l.Contains("Redis connection to", StringComparison.Ordinal) && l.Contains("restored", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        // The restore event is the signal; a short bounded poll covers the multiplexer finishing its handshake.
        var recovered = await Poll.UntilAsync(() => client.GetAsync("/strict", ct), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10));

        recovered.StatusCode.ShouldBe(HttpStatusCode.OK);
        recovered.Headers.GetValues("RateLimit").Single().ShouldStartWith("\"strict\";r=999");
        (await client.GetAsync("/lenient", ct)).Headers.GetValues("RateLimit").Single().ShouldStartWith("\"lenient\";r=999");
        await node.WaitForLogAsync(l => l.Contains("Rate limit store reachable again: policy strict", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RedisDown_EachFallbackIsCountedOnThePorticoMeter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartNewAsync();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(redis, backend));
        var factory = gateway.App.Services.GetRequiredService<IMeterFactory>();
        var fallbacks = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "portico.rate_limit.store_fallbacks") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var t = tags.ToArray();
            lock (fallbacks) fallbacks.Add($"{t.Single(x => x.Key == "policy").Value}:{t.Single(x => x.Key == "on_store_down").Value}");
        });
        listener.Start();
        using var client = gateway.CreateClient();
        (await client.GetAsync("/lenient", ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await redis.KillAsync();
        await client.GetAsync("/lenient", ct);
        await client.GetAsync("/lenient", ct);
        await client.GetAsync("/strict", ct);

        lock (fallbacks) fallbacks.ShouldBe(["lenient:allow", "lenient:allow", "strict:deny"]);
    }
}
