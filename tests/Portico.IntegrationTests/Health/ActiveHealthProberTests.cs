using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Portico.Configuration;
using Portico.IntegrationTests.Infrastructure;
using Portico.LoadBalancing;

namespace Portico.IntegrationTests.Health;

/// The prober against a real backend, driven by a fake clock: thresholds count whole probe rounds.
public sealed class ActiveHealthProberTests
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    readonly FakeTimeProvider _time = new();
    volatile bool _healthy = true;

    async Task RoundAsync(ActiveHealthProber prober, int round)
    {
        _time.Advance(Interval);
        await prober.WhenRoundsCompleted(round).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Probe_FailuresAndSuccessesInARow_FlipHealthOnlyAtTheirThresholds()
    {
        await using var backend = await TestBackend.StartAsync("svc", app => app.MapGet("/health", () =>
            _healthy ? Results.Text("ok") : Results.StatusCode(StatusCodes.Status500InternalServerError)));
        var destinations = new DestinationSet([new Uri(backend.Url)], PassiveHealthDefinition.Default, _time);
        using var client = new HttpMessageInvoker(new SocketsHttpHandler());
        var options = new ActiveHealthDefinition("/health", Interval, TimeSpan.FromSeconds(2), HealthyThreshold: 2, UnhealthyThreshold: 2);
        await using var prober = new ActiveHealthProber("svc", options, destinations, client, _time, NullLogger.Instance);
        prober.Start();
        await prober.WhenRoundsCompleted(1).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var destination = destinations.All[0];
        prober.CompletedFirstRound.ShouldBeTrue();
        destination.ActiveHealthy.ShouldBeTrue();

        _healthy = false;
        await RoundAsync(prober, 2);
        var afterOneFailure = destination.ActiveHealthy;
        await RoundAsync(prober, 3);
        var afterTwoFailures = destination.ActiveHealthy;
        var availableWhileDown = destinations.Available.Length;
        _healthy = true;
        await RoundAsync(prober, 4);
        var afterOneSuccess = destination.ActiveHealthy;
        await RoundAsync(prober, 5);

        afterOneFailure.ShouldBeTrue();
        afterTwoFailures.ShouldBeFalse();
        availableWhileDown.ShouldBe(0);
        afterOneSuccess.ShouldBeFalse();
        destination.ActiveHealthy.ShouldBeTrue();
        destinations.Available.Length.ShouldBe(1);
        backend.CallsTo("/health").ShouldBe(5);
    }

    [Fact]
    public async Task Probe_NothingListening_MarksUnhealthy()
    {
        var destinations = new DestinationSet([new Uri(ClosedPort.Url())], PassiveHealthDefinition.Default, _time);
        using var client = new HttpMessageInvoker(new SocketsHttpHandler());
        var options = new ActiveHealthDefinition("/health", Interval, TimeSpan.FromSeconds(2), HealthyThreshold: 1, UnhealthyThreshold: 1);
        await using var prober = new ActiveHealthProber("svc", options, destinations, client, _time, NullLogger.Instance);

        prober.Start();
        await prober.WhenRoundsCompleted(1).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        destinations.All[0].ActiveHealthy.ShouldBeFalse();
        destinations.Available.ShouldBeEmpty();
    }
}
