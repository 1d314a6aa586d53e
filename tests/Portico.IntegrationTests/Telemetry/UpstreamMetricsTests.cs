using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

public sealed class UpstreamMetricsTests : IDisposable
{
    sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public object? this[string tag] => Tags.GetValueOrDefault(tag);
    }

    readonly ConcurrentQueue<Measured> _measured = new();
    readonly MeterListener _listener = new();

    public UpstreamMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Portico" && (instrument.Name.StartsWith("portico.upstream.", StringComparison.Ordinal)
                || instrument.Name.StartsWith("portico.circuit_breaker.", StringComparison.Ordinal) || instrument.Name == "portico.destination.healthy"))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags) copy[key] = tagValue;
        // Other tests' gateways record on the same meter name: only this test's services (um-*) count.
        if (copy.GetValueOrDefault("portico.service") is string service && service.StartsWith("um-", StringComparison.Ordinal))
            _measured.Enqueue(new Measured(instrument.Name, value, copy));
    }

    public void Dispose() => _listener.Dispose();

    List<Measured> Of(string instrument, string service) =>
        [.. _measured.Where(m => m.Instrument == instrument && (string?)m["portico.service"] == service)];

    static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Calls_ProxiedOkClosedPortRetryAndBreaker_MeasuredWithOutcomeRetriesTransitionsAndHealth()
    {
        var flaky = 0;
        await using var backend = await TestBackend.StartAsync("backend", app =>
        {
            app.Map("/flaky", () => Interlocked.Increment(ref flaky) == 1 ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Text("fine"));
            app.Map("/broken", () => Results.StatusCode(StatusCodes.Status500InternalServerError));
        });
        var closed = ClosedPort.Next();
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              um-ok: { urls: ["{{backend.Url}}"] }
              um-closed: { urls: ["http://127.0.0.1:{{closed}}"] }
              um-retry: { urls: ["{{backend.Url}}"], retry: { attempts: 2, backoff: 1ms, maxBackoff: 5ms } }
              um-breaker:
                urls: ["{{backend.Url}}"]
                circuitBreaker: { failureRatio: 0.5, minimumThroughput: 2, samplingDuration: 30s, breakFor: 30s }
              um-eject:
                urls: ["http://127.0.0.1:{{closed}}", "{{backend.Url}}"]
                loadBalancing: first
                passiveHealth: { consecutiveFailures: 1, ejectFor: 5m }
            routes:
              - { name: ok, match: { path: "/ok" }, service: um-ok }
              - { name: closed, match: { path: "/closed" }, service: um-closed }
              - { name: flaky, match: { path: "/flaky" }, service: um-retry }
              - { name: broken, match: { path: "/broken" }, service: um-breaker }
              - { name: eject, match: { path: "/eject" }, service: um-eject }
            """);
        using var client = gateway.CreateClient();

        (await client.GetAsync("/ok", Token)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/closed", Token)).StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await client.GetAsync("/flaky", Token)).StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 2; i++) (await client.GetAsync("/broken", Token)).StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await client.GetAsync("/broken", Token)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await client.GetAsync("/eject", Token)).StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        _listener.RecordObservableInstruments();

        var ok = Of("portico.upstream.request.duration", "um-ok").ShouldHaveSingleItem();
        ok["portico.outcome"].ShouldBe("success");
        ok["portico.upstream.kind"].ShouldBe("proxy");
        ok["http.response.status_code"].ShouldBe(200);
        ok["server.address"].ShouldBe("127.0.0.1");
        ok["server.port"].ShouldBe(backend.Port);
        ok.Value.ShouldBeGreaterThan(0);

        var refused = Of("portico.upstream.request.duration", "um-closed").ShouldHaveSingleItem();
        refused["portico.outcome"].ShouldBe("connect_error");
        refused["server.port"].ShouldBe(closed);
        refused.Tags.ShouldNotContainKey("http.response.status_code");

        Of("portico.upstream.request.duration", "um-retry").Select(m => (m["portico.outcome"], m["http.response.status_code"]))
            .ShouldBe([("http_error", (object?)503), ("success", 200)]);
        Of("portico.upstream.retries", "um-retry").Sum(m => m.Value).ShouldBe(1);

        Of("portico.upstream.request.duration", "um-breaker").Select(m => m["portico.outcome"]).ShouldBe(["http_error", "http_error", "circuit_open"]);
        Of("portico.circuit_breaker.transitions", "um-breaker").Select(m => m["portico.circuit_breaker.state"]).ShouldBe(["open"]);
        Of("portico.circuit_breaker.state", "um-breaker").ShouldHaveSingleItem().Value.ShouldBe(1);

        var health = Of("portico.destination.healthy", "um-eject").Where(m => (string?)m["portico.health.check"] == "passive").ToList();
        health.Single(m => (int?)m["server.port"] == closed).Value.ShouldBe(0);
        health.Single(m => (int?)m["server.port"] == backend.Port).Value.ShouldBe(1);
        Of("portico.destination.healthy", "um-ok").ShouldHaveSingleItem().Value.ShouldBe(1);
    }
}
