using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

public sealed class MemoryResponseCacheTests
{
    static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static CachedResponse Entry(string body = "body", TimeSpan? validFor = null, params string[] tags) =>
        new(200, [new("Content-Type", new StringValues("text/plain"))], System.Text.Encoding.UTF8.GetBytes(body), Start, validFor ?? TimeSpan.FromSeconds(30), tags);

    [Fact]
    public void TryGet_WithinTheTtl_HitByCharacters_AfterIt_Miss()
    {
        using var cache = new MemoryResponseCache(1024 * 1024);
        cache.Set("k1", Entry());

        cache.TryGet("k1".AsSpan(), Start.AddSeconds(29), out var hit).ShouldBeTrue();
        hit!.Body.Length.ShouldBe(4);
        cache.TryGet("k1".AsSpan(), Start.AddSeconds(30), out _).ShouldBeFalse();
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public void EvictByTag_DropsTheTaggedEntriesOnly()
    {
        using var cache = new MemoryResponseCache(1024 * 1024);
        cache.Set("a", Entry(tags: ["route:a", "portico:all"]));
        cache.Set("b", Entry(tags: ["route:b", "portico:all"]));

        cache.EvictByTag("route:a").ShouldBe(1);

        cache.TryGet("a".AsSpan(), Start, out _).ShouldBeFalse();
        cache.TryGet("b".AsSpan(), Start, out _).ShouldBeTrue();
        cache.EvictByTag("portico:all").ShouldBe(1);
        cache.Count.ShouldBe(0);
    }

    [Fact]
    public void HitAt_SameSecond_SameValues_LaterSecond_AgeAndTtlMove()
    {
        var entry = Entry(validFor: TimeSpan.FromSeconds(30));

        var first = entry.HitAt(Start.AddMilliseconds(2100));
        var again = entry.HitAt(Start.AddMilliseconds(2900));
        var later = entry.HitAt(Start.AddSeconds(10));

        first.ShouldBeSameAs(again);
        first.Age.ShouldBe("2");
        first.CacheStatus.ShouldBe("Portico; hit; ttl=28");
        later.Age.ShouldBe("10");
        later.CacheStatus.ShouldBe("Portico; hit; ttl=20");
    }

    [Fact]
    public void Set_OverTheSizeLimit_NotEverythingKept()
    {
        using var cache = new MemoryResponseCache(10_000);
        for (var i = 0; i < 10; i++) cache.Set($"k{i}", Entry(new string('x', 3000)));

        var kept = Enumerable.Range(0, 10).Count(i => cache.TryGet($"k{i}".AsSpan(), Start, out _));

        kept.ShouldBeLessThanOrEqualTo(3);
    }
}
