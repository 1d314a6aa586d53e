using Microsoft.Extensions.Logging.Abstractions;
using Portico.Configuration;
using Portico.Hosting;
using Portico.Http;
using Portico.RateLimiting;
using Portico.Store;

namespace Portico.Tests.RateLimiting;

/// Prepare builds a snapshot's counters without touching the live ones; Commit makes them live and disposes the
/// ones it replaces only after the older snapshots drained; Discard throws away what a failed compile prepared.
public sealed class RateLimitRegistryTests : IDisposable
{
    readonly RedisConnections _redis = new(NullLogger<RedisConnections>.Instance);
    readonly RateLimitRegistry _registry;

    public RateLimitRegistryTests() => _registry = new RateLimitRegistry(_redis, TimeProvider.System);

    static PorticoConfig Config(string rateLimits)
    {
        var loaded = ConfigLoader.LoadText($$"""
            gateways:
              default: { listen: ["http://127.0.0.1:0"] }
            services:
              api: { urls: ["http://127.0.0.1:9"] }
            rateLimits:
            {{rateLimits}}
            routes:
              - { name: all, match: { path: "/{**rest}" }, service: api }
            """, "test.yaml");
        loaded.Success.ShouldBeTrue(string.Join("; ", loaded.Errors));
        return loaded.Config!;
    }

    const string KeepOnly = "  keep: { algorithm: fixed-window, limit: 5, window: 1h, key: ip }";
    const string KeepAndDrop = KeepOnly + "\n  drop: { algorithm: fixed-window, limit: 5, window: 1h, key: ip }";
    const string KeepAndNew = KeepOnly + "\n  fresh: { algorithm: fixed-window, limit: 5, window: 1h, key: ip }";

    CompiledRateLimits Live(string rateLimits)
    {
        var compiled = _registry.Prepare(Config(rateLimits), ClientAddress.NoTrustedProxies);
        _registry.Commit(compiled, Task.CompletedTask);
        return compiled;
    }

    static IRateLimitCounter Counter(CompiledRateLimits compiled, string name) => compiled.ByIdentity.Values.Single(p => p.Definition.Name == name).Counter;

    [Fact]
    public async Task Discard_PreparedForRejectedConfig_LiveCountersKeepTheirCount()
    {
        var live = Live(KeepAndDrop);
        await Counter(live, "drop").AcquireAsync("10.0.0.1");
        await Counter(live, "drop").AcquireAsync("10.0.0.1");

        // A config without `drop` and with `fresh` is prepared, then its compile fails.
        var prepared = _registry.Prepare(Config(KeepAndNew), ClientAddress.NoTrustedProxies);
        _registry.Discard(prepared);

        (await Counter(live, "drop").AcquireAsync("10.0.0.1")).Remaining.ShouldBe(2);
        // The discarded counter is disposed: it no longer counts (a disposed limiter lets requests through uncounted).
        (await Counter(prepared, "fresh").AcquireAsync("10.0.0.1")).Remaining.ShouldBeNull();
    }

    [Fact]
    public async Task Commit_PolicyDropped_CounterDisposedOnlyAfterOlderSnapshotsDrain()
    {
        var live = Live(KeepAndDrop);
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        _registry.Commit(_registry.Prepare(Config(KeepOnly), ClientAddress.NoTrustedProxies), drained.Task);

        // A request of the old snapshot still counts with the dropped policy's counter.
        (await Counter(live, "drop").AcquireAsync("10.0.0.1")).Remaining.ShouldBe(4);
        drained.SetResult();
        var afterDrain = await PollAsync(() => Counter(live, "drop").AcquireAsync("10.0.0.1").AsTask(), d => d.Remaining is null);
        afterDrain.Remaining.ShouldBeNull();
    }

    [Fact]
    public async Task Commit_UnchangedPolicy_KeepsItsCounterAndCount()
    {
        var live = Live(KeepAndDrop);
        await Counter(live, "keep").AcquireAsync("10.0.0.1");

        var next = _registry.Prepare(Config(KeepOnly), ClientAddress.NoTrustedProxies);
        _registry.Commit(next, Task.CompletedTask);

        Counter(next, "keep").ShouldBeSameAs(Counter(live, "keep"));
        (await Counter(next, "keep").AcquireAsync("10.0.0.1")).Remaining.ShouldBe(3);
    }

    static async Task<T> PollAsync<T>(Func<Task<T>> attempt, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var result = await attempt();
        while (!done(result) && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
            result = await attempt();
        }
        return result;
    }

    public void Dispose()
    {
        _registry.Dispose();
        _redis.Dispose();
    }
}
