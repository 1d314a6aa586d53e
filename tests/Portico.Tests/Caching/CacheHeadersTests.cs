using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

public sealed class CacheHeadersTests
{
    [Theory]
    [InlineData("no-store", true, false, false, null)]
    [InlineData("private, max-age=60", false, true, false, null)]
    [InlineData("no-cache", false, false, true, null)]
    [InlineData("public, max-age=60", false, false, false, 60)]
    [InlineData("max-age=60, s-maxage=10", false, false, false, 10)]
    [InlineData("max-age=0", false, false, false, 0)]
    [InlineData("", false, false, false, null)]
    public void Parse_CacheControl_SharedCacheView(string header, bool noStore, bool isPrivate, bool noCache, int? lifetimeSeconds)
    {
        var directives = CacheControlDirectives.Parse(new StringValues(header));

        directives.NoStore.ShouldBe(noStore);
        directives.Private.ShouldBe(isPrivate);
        directives.NoCache.ShouldBe(noCache);
        directives.Lifetime.ShouldBe(lifetimeSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
    }

    [Fact]
    public void AddPathTags_NestedPath_OneTagPerLeadingSegment()
    {
        var tags = new HashSet<string>();

        CacheTags.AddPathTags(tags, "/api/users/7");

        tags.ShouldBe(["path:/api", "path:/api/users", "path:/api/users/7"], ignoreOrder: true);
    }

    [Theory]
    [InlineData("/api/users", "path:/api/users")]
    [InlineData("/api/users/", "path:/api/users")]
    [InlineData("/", "path:/")]
    public void Prefix_AsThePurgeNamesIt_MatchesThePathTag(string prefix, string tag) => CacheTags.Prefix(prefix).ShouldBe(tag);

    [Theory]
    [InlineData("Portico; fwd=uri-miss; stored; ttl=30", 30L)]
    [InlineData("Portico; hit; ttl=5", 5L)]
    [InlineData("Portico; fwd=method", null)]
    [InlineData(null, null)]
    public void StoredTtl_FromAHeader_ReadsTheTtlParameter(string? header, long? ttl) => CacheStatus.StoredTtl(header).ShouldBe(ttl);

    [Fact]
    public void Stored_FractionalSeconds_RoundsUp() => CacheStatus.Stored(TimeSpan.FromMilliseconds(1500)).ShouldBe("Portico; fwd=uri-miss; stored; ttl=2");
}
