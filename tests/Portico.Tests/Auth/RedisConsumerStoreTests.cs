using CsCheck;
using Portico.Auth;
using StackExchange.Redis;

namespace Portico.Tests.Auth;

/// How runtime consumers are written to and read from their Redis hash (one field per consumer, one line of JSON).
public sealed class RedisConsumerStoreTests
{
    static ConsumerFile.StoredKey Key(string text, DateTimeOffset? expires = null)
    {
        var hash = ApiKeys.Hash(text);
        return new ConsumerFile.StoredKey(ConsumerFile.KeyId(hash), hash, new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), expires);
    }

    static HashEntry Entry(ConsumerFile.StoredConsumer consumer) => new(consumer.Id, RedisConsumerStore.Serialize(consumer));

    [Fact]
    public void Serialize_Consumer_OneLineWithHashesAndNoKeyText()
    {
        var key = ApiKeys.Generate();
        var consumer = new ConsumerFile.StoredConsumer("mobile-app", ["orders:read"], [Key(key)], ["partners"]);

        var json = RedisConsumerStore.Serialize(consumer);

        json.ShouldNotContain("\n");
        json.ShouldContain(ApiKeys.Hash(key));
        json.ShouldNotContain(key);
        json.ShouldContain("\"groups\":[\"partners\"]");
    }

    [Fact]
    public void Parse_SerializedConsumers_ReadBackEqual_SortedById()
    {
        var gen =
            from ids in Gen.String[Gen.Char.AlphaNumeric, 1, 10].HashSet[0, 5]
            from scopes in Gen.String[Gen.Char.AlphaNumeric, 1, 8].List[0, 3]
            from groups in Gen.String[Gen.Char.AlphaNumeric, 1, 8].List[0, 3]
            from keys in Gen.String[Gen.Char.AlphaNumeric, 1, 20].List[0, 3]
            from expires in Gen.Int[0, 100_000].Select(m => m == 0 ? (DateTimeOffset?)null : DateTimeOffset.UnixEpoch.AddMinutes(m))
            select (ids, scopes, groups, keys, expires);

        gen.Sample(t =>
        {
            var consumers = t.ids.Select(id => new ConsumerFile.StoredConsumer(id, t.scopes, [.. t.keys.Select(k => Key(k, t.expires))], t.groups.Count == 0 ? null : t.groups)).ToList();

            var (data, json, unreadable) = RedisConsumerStore.Parse([.. consumers.Select(Entry).Reverse()]);

            unreadable.ShouldBeEmpty();
            data.Consumers.Select(c => c.Id).ShouldBe(consumers.Select(c => c.Id).Order(StringComparer.Ordinal));
            foreach (var read in data.Consumers)
            {
                var written = consumers.Single(c => c.Id == read.Id);
                read.Scopes.ShouldBe(written.Scopes);
                read.Groups.ShouldBe(written.Groups);
                read.Keys.ShouldBe(written.Keys);
                json[read.Id].ShouldBe(RedisConsumerStore.Serialize(written));
            }
        });
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"id":"other","scopes":[],"keys":[]}""")]
    [InlineData("""{"id":"bad","keys":[]}""")]
    [InlineData("""{"id":"bad","scopes":[]}""")]
    [InlineData("""{"id":"bad","scopes":[],"keys":[{"id":"k_1","hash":"sha256:ABC","created":"2026-11-24T12:00:00Z"}]}""")]
    [InlineData("""{"id":"bad","scopes":[],"keys":[{"id":"k_1","hash":"md5:0123","created":"2026-11-24T12:00:00Z"}]}""")]
    public void Parse_UnreadableField_LeftOutAndNamed_OthersRead(string json)
    {
        var good = new ConsumerFile.StoredConsumer("good", [], [Key("good-key")]);

        var (data, guards, unreadable) = RedisConsumerStore.Parse([Entry(good), new HashEntry("bad", json)]);

        data.Consumers.Select(c => c.Id).ShouldBe(["good"]);
        guards.Keys.ShouldBe(["good"]);
        unreadable.ShouldBe(["bad"]);
    }

    [Theory]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("sha256:0123456789abcdef", false)]
    [InlineData("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData(null, false)]
    public void IsHash_Input_TrueOnlyForTheStoredForm(string? hash, bool expected) => ApiKeys.IsHash(hash).ShouldBe(expected);
}
