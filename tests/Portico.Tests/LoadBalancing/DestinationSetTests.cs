using Microsoft.Extensions.Time.Testing;
using Portico.Configuration;
using Portico.LoadBalancing;

namespace Portico.Tests.LoadBalancing;

public sealed class DestinationSetTests
{
    static readonly Uri[] TwoUrls = [new("http://10.0.0.1:8080"), new("http://10.0.0.2:8080")];
    readonly FakeTimeProvider _time = new();

    DestinationSet Create(IReadOnlyList<Uri> urls, int consecutiveFailures = 3, bool enabled = true) =>
        new(urls, new PassiveHealthDefinition(enabled, consecutiveFailures, TimeSpan.FromSeconds(30)), _time);

    [Fact]
    public void ReportFailure_FewerThanThreshold_KeepsDestinationAvailable()
    {
        var set = Create(TwoUrls);
        var bad = set.All[0];

        set.ReportFailure(bad);
        set.ReportFailure(bad);

        set.Available.ShouldContain(bad);
    }

    [Fact]
    public void ReportFailure_ThresholdInARow_EjectsDestination()
    {
        var set = Create(TwoUrls);
        var bad = set.All[0];

        for (var i = 0; i < 3; i++) set.ReportFailure(bad);

        set.Available.ShouldBe([set.All[1]]);
    }

    [Fact]
    public void ReportSuccess_BetweenFailures_ResetsTheStreak()
    {
        var set = Create(TwoUrls);
        var flaky = set.All[0];

        set.ReportFailure(flaky);
        set.ReportFailure(flaky);
        set.ReportSuccess(flaky);
        set.ReportFailure(flaky);
        set.ReportFailure(flaky);

        set.Available.ShouldContain(flaky);
    }

    [Fact]
    public void ReportFailure_LastAvailableDestination_IsNeverEjected()
    {
        var set = Create(TwoUrls);
        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[0]);

        for (var i = 0; i < 10; i++) set.ReportFailure(set.All[1]);

        set.Available.ShouldBe([set.All[1]]);
    }

    [Fact]
    public void ReportFailure_SingleDestination_IsNeverEjected()
    {
        var set = Create([TwoUrls[0]], consecutiveFailures: 1);

        for (var i = 0; i < 5; i++) set.ReportFailure(set.All[0]);

        set.Available.ShouldBe([set.All[0]]);
    }

    [Fact]
    public void Available_AfterEjectFor_ReturnsEjectedDestination()
    {
        var set = Create(TwoUrls);
        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[0]);
        _time.Advance(TimeSpan.FromSeconds(29));
        set.Available.Length.ShouldBe(1);

        _time.Advance(TimeSpan.FromSeconds(1));

        set.Available.ShouldBe([set.All[0], set.All[1]]);
    }

    [Fact]
    public void ReportFailure_AfterReturning_NeedsAFullStreakAgain()
    {
        var set = Create(TwoUrls);
        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[0]);
        _time.Advance(TimeSpan.FromSeconds(30));

        set.ReportFailure(set.All[0]);

        set.Available.Length.ShouldBe(2);
    }

    [Fact]
    public void ReportFailure_PassiveHealthDisabled_NeverEjects()
    {
        var set = Create(TwoUrls, consecutiveFailures: 1, enabled: false);

        for (var i = 0; i < 5; i++) set.ReportFailure(set.All[0]);

        set.Available.Length.ShouldBe(2);
    }

    [Fact]
    public void SetActiveHealth_Unhealthy_RemovesAndRestores()
    {
        var set = Create(TwoUrls);

        set.SetActiveHealth(set.All[1], false);
        set.Available.ShouldBe([set.All[0]]);

        set.SetActiveHealth(set.All[1], true);
        set.Available.ShouldBe([set.All[0], set.All[1]]);
    }

    [Fact]
    public void SetActiveHealth_AllUnhealthy_LeavesNothingAvailable()
    {
        var set = Create(TwoUrls);

        set.SetActiveHealth(set.All[0], false);
        set.SetActiveHealth(set.All[1], false);

        set.Available.ShouldBeEmpty();
    }

    [Fact]
    public void Available_OnlyPassivelyEjectedOneActivelyHealthy_FallsBackToIt()
    {
        var set = Create(TwoUrls);
        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[0]);

        set.SetActiveHealth(set.All[1], false);

        set.Available.ShouldBe([set.All[0]]);
    }

    [Fact]
    public void ReportFailure_OtherDestinationJustReturned_EjectsEvenBeforeAnyoneReadsAvailable()
    {
        var set = Create(TwoUrls);
        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[0]);
        set.Available.ShouldBe([set.All[1]]);
        _time.Advance(TimeSpan.FromSeconds(30));

        for (var i = 0; i < 3; i++) set.ReportFailure(set.All[1]);

        set.Available.ShouldBe([set.All[0]]);
    }
}
