using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Telemetry;

namespace Portico.Tests.Telemetry;

/// The edge instruments under their exact names and tags (dashboards and the Prometheus names depend on them), and
/// the request telemetry each call fills beside the measurement.
public sealed class EdgeMetricsTests : IDisposable
{
    readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    readonly MeterListener _listener = new();
    readonly List<(string Name, long Value, Dictionary<string, object?> Tags)> _measurements = [];
    readonly EdgeMetrics _metrics;

    public EdgeMetricsTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new EdgeMetrics(factory);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (_measurements) _measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    static (HttpContext Context, RequestTelemetry Telemetry) Request(string route = "orders")
    {
        var context = new DefaultHttpContext();
        context.SetEndpoint(new Endpoint(null, new EndpointMetadataCollection(new EndpointTelemetry("edge", route, new RouteActivity("edge", route))), route));
        var telemetry = new RequestTelemetry();
        context.Features.Set(telemetry);
        return (context, telemetry);
    }

    [Fact]
    public void RateLimitDecided_AdmittedAndLimited_CountedWithPolicyRouteOutcome()
    {
        var (context, telemetry) = Request();

        _metrics.RateLimitDecided(context, "per-ip", admitted: true);
        telemetry.RateLimit.ShouldBe("admitted");
        _metrics.RateLimitDecided(context, "per-ip", admitted: false);

        telemetry.RateLimit.ShouldBe("limited");
        _measurements.Select(m => (m.Name, m.Value, m.Tags["portico.rate_limit.policy"], m.Tags["portico.route"], m.Tags["portico.outcome"])).ShouldBe(
        [
            ("portico.rate_limit.decisions", 1L, "per-ip", "orders", "admitted"),
            ("portico.rate_limit.decisions", 1L, "per-ip", "orders", "limited"),
        ]);
    }

    [Fact]
    public void RateLimitFellBack_Request_MarkedFallbackWithoutADecision()
    {
        var (context, telemetry) = Request();

        EdgeMetrics.RateLimitFellBack(context);

        telemetry.RateLimit.ShouldBe("fallback");
        _measurements.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("hit")]
    [InlineData("stale")]
    [InlineData("miss")]
    [InlineData("bypass")]
    public void CacheLookedUp_Outcome_CountedAndOnTheRequest(string outcome)
    {
        var (context, telemetry) = Request("items");

        _metrics.CacheLookedUp(context, outcome);

        telemetry.Cache.ShouldBe(outcome);
        var m = _measurements.ShouldHaveSingleItem();
        m.Name.ShouldBe("portico.cache.lookups");
        m.Tags.ShouldBe(new Dictionary<string, object?> { ["portico.route"] = "items", ["portico.outcome"] = outcome });
    }

    [Fact]
    public void CacheStored_AfterAMiss_CountsAStoreAndMarksTheRequestStored()
    {
        var (context, telemetry) = Request("items");

        _metrics.CacheLookedUp(context, CacheOutcomes.Miss);
        _metrics.CacheStored(context);

        telemetry.Cache.ShouldBe("stored");
        _measurements.Select(m => m.Name).ShouldBe(["portico.cache.lookups", "portico.cache.stores"]);
        _measurements[1].Tags.ShouldBe(new Dictionary<string, object?> { ["portico.route"] = "items" });
    }

    [Fact]
    public void AuthSucceeded_Scheme_CountedWithoutReasonAndCallerOnTheRequest()
    {
        var (context, telemetry) = Request();

        _metrics.AuthSucceeded(context, "jwt", "alice");

        telemetry.AuthScheme.ShouldBe("jwt");
        telemetry.ConsumerId.ShouldBe("alice");
        var m = _measurements.ShouldHaveSingleItem();
        m.Name.ShouldBe("portico.auth.attempts");
        m.Tags.ShouldBe(new Dictionary<string, object?> { ["portico.auth.scheme"] = "jwt", ["portico.outcome"] = "success" });
    }

    [Theory]
    [InlineData("apikey", "missing")]
    [InlineData("jwt", "expired")]
    [InlineData("basic", "invalid")]
    [InlineData("session", "unavailable")]
    [InlineData("session", "forbidden")]
    public void AuthFailed_SchemeAndReason_CountedAndNoCallerOnTheRequest(string scheme, string reason)
    {
        var (context, telemetry) = Request();

        _metrics.AuthFailed(context, scheme, reason);

        telemetry.AuthScheme.ShouldBe(scheme);
        telemetry.ConsumerId.ShouldBeNull();
        var m = _measurements.ShouldHaveSingleItem();
        m.Name.ShouldBe("portico.auth.attempts");
        m.Tags.ShouldBe(new Dictionary<string, object?> { ["portico.auth.scheme"] = scheme, ["portico.outcome"] = "failure", ["portico.auth.reason"] = reason });
    }

    [Fact]
    public void AccessLogDropped_Lines_CountedWithoutTags()
    {
        _metrics.AccessLogDropped(3);

        var m = _measurements.ShouldHaveSingleItem();
        (m.Name, m.Value, m.Tags.Count).ShouldBe(("portico.access_log.dropped", 3L, 0));
    }

    [Fact]
    public void Instruments_OnThePorticoMeterWithUnits()
    {
        var units = new Dictionary<string, string?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == _services.GetRequiredService<IMeterFactory>() && instrument.Meter.Name == "Portico") units[instrument.Name] = instrument.Unit;
            },
        };
        listener.Start();

        units.ShouldBe(new Dictionary<string, string?>
        {
            ["portico.rate_limit.decisions"] = "{request}",
            ["portico.cache.lookups"] = "{request}",
            ["portico.cache.stores"] = "{response}",
            ["portico.auth.attempts"] = "{request}",
            ["portico.access_log.dropped"] = "{line}",
        }, ignoreOrder: true);
    }

    [Fact]
    public void Calls_WithoutRequestTelemetryOrEndpoint_StillCount()
    {
        var context = new DefaultHttpContext();

        _metrics.CacheLookedUp(context, CacheOutcomes.Hit);
        _metrics.AuthFailed(context, "apikey", AuthReasons.Invalid);

        _measurements.Count.ShouldBe(2);
        _measurements[0].Tags["portico.route"].ShouldBe("");
    }
}
