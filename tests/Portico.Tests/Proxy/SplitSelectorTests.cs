using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Proxy;

namespace Portico.Tests.Proxy;

public sealed class SplitSelectorTests
{
    static readonly SplitTarget[] NinetyTen = [new("stable", 90), new("canary", 10)];

    static DefaultHttpContext Context(string? header = null, string? cookie = null)
    {
        var context = new DefaultHttpContext();
        if (header is not null) context.Request.Headers["X-User-Id"] = header;
        if (cookie is not null) context.Request.Headers.Cookie = cookie;
        return context;
    }

    [Theory]
    [InlineData("", 2166136261u)]
    [InlineData("a", 0xE40C292Cu)]
    [InlineData("foobar", 0xBF9CF968u)]
    public void StableHash_KnownFnv1aVectors(string value, uint expected)
    {
        SplitSelector.StableHash(value).ShouldBe(expected);
    }

    [Fact]
    public void Select_NoSticky_ShareFollowsWeights()
    {
        var selector = new SplitSelector(NinetyTen, null);
        const int n = 20_000;

        var canary = Enumerable.Range(0, n).Count(_ => selector.Select(Context()) == 1);

        // Binomial(20000, 0.1): sd ≈ 42.4; 4 sd ≈ 170 around 2000.
        var sd = Math.Sqrt(n * 0.1 * 0.9);
        canary.ShouldBeInRange((int)(n * 0.1 - 4 * sd), (int)(n * 0.1 + 4 * sd));
    }

    [Fact]
    public void Select_WeightZero_NeverChosenWithoutPin()
    {
        var selector = new SplitSelector([new("stable", 100), new("canary", 0)], new StickyDefinition(StickyKind.Header, "X-User-Id", TimeSpan.FromDays(1)));

        var chosen = Enumerable.Range(0, 2000).Select(i => selector.Select(Context(header: i % 2 == 0 ? $"user-{i}" : null))).Distinct();

        chosen.ShouldBe([0]);
    }

    [Fact]
    public void Select_StickyHeader_SameValueSameTarget()
    {
        var selector = new SplitSelector(NinetyTen, new StickyDefinition(StickyKind.Header, "X-User-Id", TimeSpan.FromDays(1)));

        foreach (var user in Enumerable.Range(0, 100).Select(i => $"user-{i}"))
        {
            var first = selector.Select(Context(header: user));
            for (var i = 0; i < 5; i++) selector.Select(Context(header: user)).ShouldBe(first);
        }
    }

    [Fact]
    public void Select_StickyHeader_ManyKeysSpreadByWeight()
    {
        var selector = new SplitSelector(NinetyTen, new StickyDefinition(StickyKind.Header, "X-User-Id", TimeSpan.FromDays(1)));
        const int n = 10_000;

        var canary = Enumerable.Range(0, n).Count(i => selector.Select(Context(header: $"user-{i}")) == 1);

        // A well-spread hash behaves like Binomial(10000, 0.1): sd = 30, 4 sd = 120.
        canary.ShouldBeInRange(1000 - 120, 1000 + 120);
    }

    [Theory]
    [InlineData("canary", 1)]
    [InlineData("CANARY", 1)]
    [InlineData("stable", 0)]
    public void Select_StickyValueNamesTarget_PinsEvenAtWeightZero(string value, int expected)
    {
        var selector = new SplitSelector([new("stable", 100), new("canary", 0)], new StickyDefinition(StickyKind.Header, "X-User-Id", TimeSpan.FromDays(1)));

        selector.Select(Context(header: value)).ShouldBe(expected);
    }

    [Fact]
    public void Select_StickyCookieMissing_IssuesCookieThatSticks()
    {
        var selector = new SplitSelector([new("stable", 50), new("canary", 50)], new StickyDefinition(StickyKind.Cookie, "pin", TimeSpan.FromHours(1)));
        var first = Context();

        var chosen = selector.Select(first);

        var setCookie = first.Response.Headers.SetCookie.ToString();
        setCookie.ShouldStartWith("pin=");
        setCookie.ShouldContain("httponly", Case.Insensitive);
        setCookie.ShouldContain("max-age=3600", Case.Insensitive);
        var value = setCookie.Split(';')[0]["pin=".Length..];
        for (var i = 0; i < 10; i++)
        {
            var next = Context(cookie: $"pin={value}");
            selector.Select(next).ShouldBe(chosen);
            next.Response.Headers.SetCookie.Count.ShouldBe(0);
        }
    }

    [Fact]
    public void Select_StickyCookieMissing_FreshCookiesSpreadAcrossTargets()
    {
        var selector = new SplitSelector([new("stable", 50), new("canary", 50)], new StickyDefinition(StickyKind.Cookie, "pin", TimeSpan.FromHours(1)));

        var chosen = Enumerable.Range(0, 200).Select(_ => selector.Select(Context())).ToList();

        chosen.Count(c => c == 1).ShouldBeInRange(60, 140);
    }
}
