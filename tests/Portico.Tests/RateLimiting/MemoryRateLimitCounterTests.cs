using Portico.Configuration;
using Portico.RateLimiting;

namespace Portico.Tests.RateLimiting;

public sealed class MemoryRateLimitCounterTests
{
    static RateLimitDefinition Bucket(int limit, TimeSpan window) =>
        new("b", RateLimitAlgorithm.TokenBucket, limit, window, ["ip"], StoreDownMode.Allow, 10);

    [Theory]
    [InlineData(20, 3600)]
    [InlineData(10_000_000, 86_400)]
    [InlineData(1_000_000_000, 86_400)]
    [InlineData(1_000_000_000, 1)]
    [InlineData(5_000, 1)]
    public void BucketRefill_AnyLimitAndWindow_RefillsLimitTokensPerWindow(int limit, int windowSeconds)
    {
        var window = TimeSpan.FromSeconds(windowSeconds);

        var (period, tokens) = MemoryRateLimitCounter.BucketRefill(Bucket(limit, window));

        period.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1));
        tokens.ShouldBeInRange(1, limit);
        var perWindow = (double)tokens * window.Ticks / period.Ticks;
        perWindow.ShouldBe(limit, tolerance: limit * 0.001);
    }

    [Fact]
    public async Task AcquireAsync_TenMillionADay_FirstRequestLeavesOneLess()
    {
        using var counter = new MemoryRateLimitCounter(new RateLimitDefinition("daily", RateLimitAlgorithm.FixedWindow, 10_000_000, TimeSpan.FromDays(1), ["ip"], StoreDownMode.Allow, 10));

        var first = await counter.AcquireAsync("k");
        var second = await counter.AcquireAsync("k");

        first.Allowed.ShouldBeTrue();
        first.Remaining.ShouldBe(9_999_999);
        second.Remaining.ShouldBe(9_999_998);
    }
}
