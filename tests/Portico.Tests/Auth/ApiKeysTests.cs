using Portico.Auth;
using Portico.Configuration;

namespace Portico.Tests.Auth;

public sealed class ApiKeysTests
{
    [Fact]
    public void Generate_Key_IsPrefixedAndCarries256RandomBits()
    {
        var key = ApiKeys.Generate();

        key.ShouldStartWith(ApiKeys.Prefix);
        key.Length.ShouldBe(ApiKeys.Prefix.Length + 43);
        key.ShouldMatch("^pk_[A-Za-z0-9_-]{43}$");
    }

    [Fact]
    public void Hash_Key_IsSha256HexWithPrefix()
    {
        ApiKeys.Hash("abc").ShouldBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    [Theory]
    [InlineData(46)]
    [InlineData(512)]
    [InlineData(4000)]
    public void Digest_IntoSpan_MatchesSha256OfTheUtf8Text_ShortAndLongKeys(int length)
    {
        var key = string.Concat(Enumerable.Repeat("ké€", length / 3 + 1))[..length];
        Span<byte> digest = stackalloc byte[32];

        ApiKeys.Digest(key, digest);

        Convert.ToHexStringLower(digest).ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))));
    }

    [Fact]
    public void Derive_SameSeed_SameKey_DifferentSeed_DifferentKey()
    {
        ApiKeys.Derive("demo").ShouldBe(ApiKeys.Derive("demo"));
        ApiKeys.Derive("demo").ShouldNotBe(ApiKeys.Derive("other"));
        ApiKeys.Derive("demo").ShouldStartWith("pk_");
    }

    [Fact]
    public void ConsumerKeyIndex_KnownUnknownAndExpiredKeys_AreToldApart()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var app = new ConsumerDefinition("app", ["users:read"], [new ConsumerKeyDefinition(ApiKeys.Hash("pk_live"), null), new ConsumerKeyDefinition(ApiKeys.Hash("pk_old"), now)]);
        var index = new ConsumerKeyIndex([app]);

        index.Find("pk_live", now, out var consumer).ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        consumer.ShouldBe(app);
        index.Find("pk_old", now, out _).ShouldBe(ConsumerKeyIndex.Outcome.Expired);
        index.Find("pk_old", now.AddSeconds(-1), out _).ShouldBe(ConsumerKeyIndex.Outcome.Valid);
        index.Find("pk_nope", now, out _).ShouldBe(ConsumerKeyIndex.Outcome.Unknown);
        index.Find(ApiKeys.Hash("pk_live"), now, out _).ShouldBe(ConsumerKeyIndex.Outcome.Unknown);
    }
}
