using Portico.Auth;
using StackExchange.Redis;

namespace Portico.Tests.Auth;

/// The in-memory key index a node builds from the consumers hash in Redis on every (re)load.
public sealed class RuntimeConsumersTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    static ConsumerFile.StoredKey Key(string text, DateTimeOffset? expires = null)
    {
        var hash = ApiKeys.Hash(text);
        return new ConsumerFile.StoredKey(ConsumerFile.KeyId(hash), hash, Now.AddDays(-1), expires);
    }

    static HashEntry Entry(ConsumerFile.StoredConsumer consumer) => new(consumer.Id, RedisConsumerStore.Serialize(consumer));

    static ConsumerKeyIndex.Outcome Find(ConsumerKeyIndex index, string key) => index.Find(key, Now, out _);

    [Fact]
    public void IndexOf_EveryKeyOfEveryConsumer_FoundWithItsConsumer()
    {
        HashEntry[] entries =
        [
            Entry(new("mobile-app", ["orders:read"], [Key("m1"), Key("m2")], ["partners"])),
            Entry(new("web-app", [], [Key("w1")])),
        ];

        var index = RuntimeConsumers.IndexOf(entries, out var unreadable);

        unreadable.ShouldBeEmpty();
        index.Count.ShouldBe(3);
        index.Find("m2", Now, out var consumer).ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        consumer!.Id.ShouldBe("mobile-app");
        consumer.Scopes.ShouldBe(["orders:read"]);
        consumer.Groups.ShouldBe(["partners"]);
        index.Find("w1", Now, out consumer).ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        consumer!.Id.ShouldBe("web-app");
        Find(index, "unknown").ShouldBe(ConsumerKeyIndex.Outcome.Unknown);
    }

    [Fact]
    public void IndexOf_AfterRevokeAndRemove_RevokedAndRemovedKeysUnknown_OthersStay()
    {
        var before = RuntimeConsumers.IndexOf(
            [Entry(new("a", [], [Key("a1"), Key("a2")])), Entry(new("b", [], [Key("b1")]))], out _);

        var after = RuntimeConsumers.IndexOf([Entry(new("a", [], [Key("a2")]))], out _);

        Find(before, "a1").ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        Find(before, "b1").ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        Find(after, "a1").ShouldBe(ConsumerKeyIndex.Outcome.Unknown);
        Find(after, "b1").ShouldBe(ConsumerKeyIndex.Outcome.Unknown);
        Find(after, "a2").ShouldBe(ConsumerKeyIndex.Outcome.Valid);
    }

    [Fact]
    public void IndexOf_ExpiredKey_ReportedExpired()
    {
        var index = RuntimeConsumers.IndexOf([Entry(new("a", [], [Key("old", Now.AddSeconds(-1)), Key("new", Now.AddSeconds(1))]))], out _);

        Find(index, "old").ShouldBe(ConsumerKeyIndex.Outcome.Expired);
        Find(index, "new").ShouldBe(ConsumerKeyIndex.Outcome.Valid);
    }

    [Fact]
    public void IndexOf_UnreadableEntry_ItsKeysRefused_OtherConsumersStillIndexed()
    {
        var index = RuntimeConsumers.IndexOf(
            [Entry(new("good", [], [Key("g1")])), new HashEntry("broken", """{"id":"broken","scopes":[],"keys":[{"id":"k","hash":"sha256:zz"}]}""")],
            out var unreadable);

        unreadable.ShouldBe(["broken"]);
        Find(index, "g1").ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        index.Count.ShouldBe(1);
    }

    [Fact]
    public void IndexOf_EmptyHash_EmptyIndex() => RuntimeConsumers.IndexOf([], out _).Count.ShouldBe(0);
}
