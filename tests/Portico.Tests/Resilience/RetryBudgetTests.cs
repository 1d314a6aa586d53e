using Microsoft.Extensions.Time.Testing;
using Portico.Resilience;

namespace Portico.Tests.Resilience;

public sealed class RetryBudgetTests
{
    readonly FakeTimeProvider _time = new();

    static int Acquire(RetryBudget budget, int tries) => Enumerable.Range(0, tries).Count(_ => budget.TryAcquireRetry());

    static void Record(RetryBudget budget, int requests)
    {
        for (var i = 0; i < requests; i++) budget.RecordRequest();
    }

    [Fact]
    public void TryAcquireRetry_NoFloor_AllowsRatioOfRequests()
    {
        var budget = new RetryBudget(0.2, 0, _time);
        Record(budget, 50);

        Acquire(budget, 100).ShouldBe(10);
    }

    [Fact]
    public void TryAcquireRetry_NoTraffic_AllowsTheFloor()
    {
        var budget = new RetryBudget(0.2, 3, _time);

        // The floor is per second, summed over the 10-second window.
        Acquire(budget, 100).ShouldBe(30);
    }

    [Fact]
    public void TryAcquireRetry_RatioAboveFloor_UsesTheRatio()
    {
        var budget = new RetryBudget(0.5, 1, _time);
        Record(budget, 100);

        Acquire(budget, 200).ShouldBe(50);
    }

    [Fact]
    public void TryAcquireRetry_Exhausted_RefusesUntilMoreRequests()
    {
        var budget = new RetryBudget(0.5, 0, _time);
        Record(budget, 4);
        Acquire(budget, 2).ShouldBe(2);
        budget.TryAcquireRetry().ShouldBeFalse();

        Record(budget, 2);

        budget.TryAcquireRetry().ShouldBeTrue();
        budget.TryAcquireRetry().ShouldBeFalse();
    }

    [Fact]
    public void TryAcquireRetry_WindowRollsOver_ForgetsOldRequestsAndRetries()
    {
        var budget = new RetryBudget(0.5, 0, _time);
        Record(budget, 10);
        Acquire(budget, 10).ShouldBe(5);

        _time.Advance(TimeSpan.FromSeconds(10));

        // Old requests no longer earn retries...
        budget.TryAcquireRetry().ShouldBeFalse();
        // ...and old retries no longer count against new requests.
        Record(budget, 4);
        Acquire(budget, 10).ShouldBe(2);
    }

    [Fact]
    public void TryAcquireRetry_PartWayThroughWindow_StillCountsEarlierSeconds()
    {
        var budget = new RetryBudget(0.5, 0, _time);
        Record(budget, 10);
        Acquire(budget, 3).ShouldBe(3);

        _time.Advance(TimeSpan.FromSeconds(9));

        Acquire(budget, 10).ShouldBe(2);
    }

    [Fact]
    public void TryAcquireRetry_BucketsExpireOneSecondAtATime()
    {
        var budget = new RetryBudget(0.5, 0, _time);
        Record(budget, 4);
        _time.Advance(TimeSpan.FromSeconds(5));
        Record(budget, 6);

        _time.Advance(TimeSpan.FromSeconds(5));

        // The first 4 requests left the window; the 6 later ones remain.
        Acquire(budget, 10).ShouldBe(3);
    }
}
