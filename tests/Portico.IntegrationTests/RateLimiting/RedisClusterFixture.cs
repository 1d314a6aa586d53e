using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.RateLimiting;

/// One real redis-server, one upstream and three gateway processes sharing the Redis store: a small cluster.
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public const int Limit = 30;
    public const int SlotLimit = 3;

    public RedisServer Redis { get; private set; } = null!;
    public TestBackend Backend { get; private set; } = null!;
    public IReadOnlyList<GatewayProcess> Nodes { get; private set; } = [];

    /// Requests to /slow wait here until released, so a test can hold concurrency slots.
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource SlotsHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _slowEntered;

    public async ValueTask InitializeAsync()
    {
        Redis = await RedisServer.StartNewAsync();
        Backend = await TestBackend.StartAsync("api", app => app.MapGet("/slow", async () =>
        {
            if (Interlocked.Increment(ref _slowEntered) == SlotLimit) SlotsHeld.TrySetResult();
            await Release.Task;
            return Results.Text("done");
        }));
        // Windows of a day: a burst that takes a second never straddles two fixed windows (they align to Redis time).
        var yaml = $$"""
            store: { kind: redis, connection: "{{Redis.Connection}}" }
            services:
              api: { urls: ["{{Backend.Url}}"] }
            rateLimits:
              fixed: { algorithm: fixed-window, limit: {{Limit}}, window: 1d }
              sliding: { algorithm: sliding-window, limit: {{Limit}}, window: 1d }
              bucket: { algorithm: token-bucket, limit: {{Limit}}, window: 1d }
              countdown: { algorithm: fixed-window, limit: 100, window: 1d }
              slots: { algorithm: concurrency, limit: {{SlotLimit}}, window: 1m }
            routes:
              - { name: fixed, match: { path: /fixed }, service: api, rateLimit: fixed }
              - { name: sliding, match: { path: /sliding }, service: api, rateLimit: sliding }
              - { name: bucket, match: { path: /bucket }, service: api, rateLimit: bucket }
              - { name: countdown, match: { path: /countdown }, service: api, rateLimit: countdown }
              - { name: slow, match: { path: /slow }, service: api, rateLimit: slots }
            """;
        Nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => GatewayProcess.StartAsync(yaml)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes) await node.DisposeAsync();
        await Backend.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
