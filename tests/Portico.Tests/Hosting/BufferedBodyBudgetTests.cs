using Microsoft.Extensions.Time.Testing;
using Portico.Http;

namespace Portico.Tests.Hosting;

public sealed class BufferedBodyBudgetTests
{
    const long MiB = 1024 * 1024;

    readonly FakeTimeProvider _time = new();
    int _collections;

    BufferedBodyBudget Budget(long limit) => new(limit, _time, () => _collections++);

    [Fact]
    public void TryTake_WithinTheLimit_TakenUntilTheShareIsReleased()
    {
        var budget = Budget(1000);
        var share = budget.NewShare();

        share.TryTake(400).ShouldBeTrue();
        share.TryTake(600).ShouldBeTrue();

        budget.InUse.ShouldBe(1000);
        share.Held.ShouldBe(1000);
        budget.HasRoom.ShouldBeFalse();
        share.Release();
        budget.InUse.ShouldBe(0);
        budget.HasRoom.ShouldBeTrue();
    }

    [Fact]
    public void TryTake_OverTheLimit_RefusedAndNothingTaken()
    {
        var budget = Budget(1000);
        var first = budget.NewShare();
        var second = budget.NewShare();
        first.TryTake(700).ShouldBeTrue();

        second.TryTake(301).ShouldBeFalse();

        budget.InUse.ShouldBe(700);
        second.Held.ShouldBe(0);
        second.TryTake(300).ShouldBeTrue();
    }

    [Fact]
    public void Take_AdmittedBytes_CountedOverTheLimitSoNewRequestsWait()
    {
        var budget = Budget(1000);
        var share = budget.NewShare();
        share.TryTake(900).ShouldBeTrue();

        share.Take(500);

        budget.InUse.ShouldBe(1400);
        budget.HasRoom.ShouldBeFalse();
        budget.NewShare().TryTake(1).ShouldBeFalse();
    }

    [Fact]
    public void Release_Twice_GivesBackOnce_AndLaterTakesAreRefused()
    {
        var budget = Budget(1000);
        var other = budget.NewShare();
        other.TryTake(100).ShouldBeTrue();
        var share = budget.NewShare();
        share.TryTake(500).ShouldBeTrue();

        share.Release();
        share.Release();

        budget.InUse.ShouldBe(100);
        share.TryTake(10).ShouldBeFalse();
        share.Take(10);
        budget.InUse.ShouldBe(100);
    }

    [Fact]
    public async Task TryTake_ManySharesAtOnce_NeverHoldMoreThanTheLimit()
    {
        var budget = Budget(10_000);
        var shares = Enumerable.Range(0, 8).Select(_ => budget.NewShare()).ToArray();
        long peak = 0;

        await Task.WhenAll(shares.Select(share => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (share.TryTake(7)) InterlockedMax(ref peak, budget.InUse);
            }
        }, TestContext.Current.CancellationToken)));

        peak.ShouldBeLessThanOrEqualTo(10_000);
        budget.InUse.ShouldBe(shares.Sum(s => s.Held));
        foreach (var share in shares) share.Release();
        budget.InUse.ShouldBe(0);
    }

    [Fact]
    public void Idle_AfterABurst_CollectsOnceTheQuietPeriodPassed()
    {
        var budget = Budget(64 * MiB);
        var share = budget.NewShare();
        share.TryTake(BufferedBodyBudget.CollectAfter).ShouldBeTrue();

        share.Release();
        _time.Advance(BufferedBodyBudget.QuietPeriod - TimeSpan.FromMilliseconds(1));
        _collections.ShouldBe(0);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        _collections.ShouldBe(1);
        _time.Advance(BufferedBodyBudget.QuietPeriod * 10);
        _collections.ShouldBe(1);
    }

    [Fact]
    public void Idle_AfterASmallBurst_LeavesItToTheGC()
    {
        var budget = Budget(64 * MiB);
        var share = budget.NewShare();
        share.TryTake(BufferedBodyBudget.CollectAfter - 1).ShouldBeTrue();

        share.Release();
        _time.Advance(BufferedBodyBudget.QuietPeriod * 10);

        _collections.ShouldBe(0);
    }

    [Fact]
    public void Idle_BusyAgainBeforeTheQuietPeriod_CollectsOnlyWhenThatBurstEnds()
    {
        var budget = Budget(64 * MiB);
        var first = budget.NewShare();
        first.TryTake(BufferedBodyBudget.CollectAfter).ShouldBeTrue();
        first.Release();
        var second = budget.NewShare();
        second.TryTake(1).ShouldBeTrue();

        _time.Advance(BufferedBodyBudget.QuietPeriod);
        _collections.ShouldBe(0);
        second.Release();
        _time.Advance(BufferedBodyBudget.QuietPeriod);

        _collections.ShouldBe(1);
    }

    [Fact]
    public void Constructor_NoBytes_IsRefused() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new BufferedBodyBudget(0));

    static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
