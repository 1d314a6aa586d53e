using System.Security.Cryptography;
using System.Text;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Portico.IntegrationTests.Auth;

/// The Redis session store against a real redis-server: what it keeps, the sliding idle expiry and the absolute end.
/// Time is moved by rewriting the stored creation time, never by waiting.
public sealed class RedisSessionStoreTests
{
    static readonly TimeSpan Ttl = TimeSpan.FromHours(8);
    static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);

    static RedisKey KeyOf(string id) => "portico:session:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    [Fact]
    public async Task Create_StoredUnderTheIdsHash_WithSubjectScopesAndCreation_ExpiringAfterIdle()
    {
        await using var redis = await RedisServer.StartNewAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Connection);
        var database = connection.GetDatabase();
        var store = new RedisSessionStore(database);

        await store.CreateAsync("the-session-id", "alice", ["users:read", "orders:write"], Ttl, Idle);

        var keys = await connection.GetServer(connection.GetEndPoints()[0]).KeysAsync(pattern: "*").ToListAsync(TestContext.Current.CancellationToken);
        keys.ShouldBe([KeyOf("the-session-id")]);
        var stored = (await database.HashGetAllAsync(KeyOf("the-session-id"))).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        stored["sub"].ShouldBe("alice");
        stored["scopes"].ShouldBe("users:read orders:write");
        long.Parse(stored["created"], System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(
            DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        (await database.KeyTimeToLiveAsync(KeyOf("the-session-id")))!.Value.ShouldBeInRange(Idle - TimeSpan.FromMinutes(1), Idle);
        var found = await store.FindAsync("the-session-id", Ttl, Idle);
        found.ShouldNotBeNull();
        found.Subject.ShouldBe("alice");
        found.Scopes.ShouldBe(["users:read", "orders:write"]);
    }

    [Fact]
    public async Task Find_SlidesTheIdleExpiry_NeverPastTheAbsoluteEnd_AndEndsThere()
    {
        await using var redis = await RedisServer.StartNewAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Connection);
        var database = connection.GetDatabase();
        var store = new RedisSessionStore(database);
        var key = KeyOf("sid");
        await store.CreateAsync("sid", "alice", [], Ttl, Idle);

        // Used a moment ago: the idle expiry is pushed back to the full idle timeout.
        await database.KeyExpireAsync(key, TimeSpan.FromMinutes(5));
        (await store.FindAsync("sid", Ttl, Idle)).ShouldNotBeNull();
        (await database.KeyTimeToLiveAsync(key))!.Value.ShouldBeGreaterThan(TimeSpan.FromMinutes(29));

        // Ten seconds left of the absolute lifetime: the expiry slides only to that end.
        var nearEnd = DateTimeOffset.UtcNow - Ttl + TimeSpan.FromSeconds(10);
        await database.HashSetAsync(key, "created", nearEnd.ToUnixTimeMilliseconds());
        (await store.FindAsync("sid", Ttl, Idle)).ShouldNotBeNull();
        (await database.KeyTimeToLiveAsync(key))!.Value.ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(10));

        // Past the absolute lifetime: refused, however recently used, and deleted.
        await database.HashSetAsync(key, "created", (DateTimeOffset.UtcNow - Ttl - TimeSpan.FromSeconds(1)).ToUnixTimeMilliseconds());
        (await store.FindAsync("sid", Ttl, Idle)).ShouldBeNull();
        (await database.KeyExistsAsync(key)).ShouldBeFalse();
    }

    [Fact]
    public async Task Remove_DeletesTheSession_UnknownIdIsNull()
    {
        await using var redis = await RedisServer.StartNewAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Connection);
        var store = new RedisSessionStore(connection.GetDatabase());
        await store.CreateAsync("sid", "alice", [], Ttl, Idle);

        await store.RemoveAsync("sid");

        (await store.FindAsync("sid", Ttl, Idle)).ShouldBeNull();
        (await store.FindAsync("never-made", Ttl, Idle)).ShouldBeNull();
        (await connection.GetDatabase().KeyExistsAsync(KeyOf("sid"))).ShouldBeFalse();
    }
}
