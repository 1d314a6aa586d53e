using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;
using Portico.IntegrationTests.RateLimiting;

namespace Portico.IntegrationTests.Telemetry;

/// A real Prometheus server scrapes a running gateway's telemetry listener; what it stored is read back through
/// its HTTP query API.
[Collection(ProcessWideMetricsCollection.Name)]
public sealed class PrometheusScrapeTests
{
    static string Config(TestBackend backend) => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        rateLimits:
          two: { algorithm: fixed-window, limit: 2, window: 1h, key: ip }
        cachePolicies:
          short: { ttl: 60s }
        routes:
          - { name: proxied, match: { path: /hello }, service: api }
          - { name: limited, match: { path: /limited }, service: api, rateLimit: two }
          - { name: cached, match: { path: "/items/{**rest}" }, service: api, cache: short }
        telemetry:
          listen: http://127.0.0.1:0
        """;

    static Task<TestBackend> Backend() => TestBackend.StartAsync("api", app =>
    {
        app.MapGet("/hello", () => "hello");
        app.MapGet("/limited", () => "ok");
        app.MapGet("/items/{id}", (string id) => $"item {id}");
    });

    static async Task<HttpStatusCode> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Prometheus_ScrapingTheTelemetryListener_StoresRequestsPerRouteAndStatus_RateLimitDecisions_AndCacheHits()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        for (var i = 0; i < 3; i++) (await GetAsync(client, "/hello")).ShouldBe(HttpStatusCode.OK);
        var limited = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) limited.Add(await GetAsync(client, "/limited"));
        limited.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests]);
        for (var i = 0; i < 3; i++) (await GetAsync(client, "/items/7")).ShouldBe(HttpStatusCode.OK);

        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{gateway.TelemetryAddress.Port}");

        var requests = await prometheus.QueryUntilAsync(
            "sum by (portico_route, http_response_status_code) (http_server_request_duration_seconds_count{portico_gateway=\"default\"})",
            r => r.Count >= 4);
        var counts = requests.ToDictionary(r => $"{r.Labels["portico_route"]} {r.Labels["http_response_status_code"]}", r => r.Value);
        counts.ShouldBe(new Dictionary<string, double>
        {
            ["proxied 200"] = 3,
            ["limited 200"] = 2,
            ["limited 429"] = 2,
            ["cached 200"] = 3,
        }, ignoreOrder: true);

        var decisions = await prometheus.QueryUntilAsync(
            "sum by (portico_outcome) (portico_rate_limit_decisions_total{portico_route=\"limited\"})", r => r.Count >= 2);
        decisions.ToDictionary(r => r.Labels["portico_outcome"], r => r.Value)
            .ShouldBe(new Dictionary<string, double> { ["admitted"] = 2, ["limited"] = 2 }, ignoreOrder: true);

        var hits = await prometheus.QueryUntilAsync(
            "sum(portico_cache_lookups_total{portico_route=\"cached\", portico_outcome=\"hit\"})", r => r.Count == 1);
        hits.Single().Value.ShouldBe(2);

        var version = await prometheus.QueryUntilAsync("portico_config_version", r => r.Count == 1);
        version.Single().Value.ShouldBe(1);

        // The scrape target is healthy: Prometheus reached the listener and parsed what it served.
        var up = await prometheus.QueryUntilAsync("up{job=\"portico\"}", r => r.Count == 1);
        up.Single().Value.ShouldBe(1);
    }

    [Fact]
    public async Task MetricsPath_OnAGatewayListener_IsNoRouteThere_AndTheTelemetryListenerServesOnlyMetrics()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        (await GetAsync(client, "/hello")).ShouldBe(HttpStatusCode.OK);

        using var onGateway = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        onGateway.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await onGateway.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldNotContain("http_server_request_duration");
        backend.Received.ShouldNotContain(r => r.PathAndQuery.StartsWith("/metrics", StringComparison.Ordinal));

        using var telemetry = new HttpClient { BaseAddress = gateway.TelemetryAddress };
        var scraped = await Poll.UntilAsync(async () => await telemetry.GetStringAsync("/metrics", TestContext.Current.CancellationToken),
            text => text.Contains("portico_route=\"proxied\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        scraped.ShouldContain("portico_route=\"proxied\"");
        foreach (var path in new[] { "/hello", "/metrics/../hello", "/metricsx", "/%2e%2e/hello" })
        {
            using var other = await telemetry.GetAsync(path, TestContext.Current.CancellationToken);
            other.StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
            other.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json", path);
        }
        // Nothing sent to the telemetry listener reached a route or the upstream.
        backend.Received.Count(r => r.PathAndQuery == "/hello").ShouldBe(1);
    }

    [Fact]
    public async Task Reloads_AppliedAndRefused_AreCounted_AndTheVersionFollows()
    {
        await using var backend = await Backend();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var telemetry = new HttpClient { BaseAddress = gateway.TelemetryAddress };

        var started = await File.ReadAllTextAsync(gateway.ConfigPath, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(gateway.ConfigPath, started.Replace("service: api }", "service: nowhere }", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        (await gateway.Runtime.ReloadAsync()).Applied.ShouldBeFalse();
        await File.WriteAllTextAsync(gateway.ConfigPath, started.Replace("/hello", "/hi", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        (await gateway.Runtime.ReloadAsync()).Applied.ShouldBeTrue();

        // The exporter keeps a scrape for 300 ms; poll until the reloads show.
        var text = await Poll.UntilAsync(async () => await telemetry.GetStringAsync("/metrics", TestContext.Current.CancellationToken),
            t => t.Contains("portico_config_version{otel_scope_name=\"Portico\",otel_scope_version=", StringComparison.Ordinal) && Sample(t, "portico_config_version") == 2,
            TimeSpan.FromSeconds(10));
        Sample(text, "portico_config_version").ShouldBe(2);
        Sample(text, "portico_config_reloads_total", "portico_config_result=\"applied\"").ShouldBe(2);
        Sample(text, "portico_config_reloads_total", "portico_config_result=\"rejected\"").ShouldBe(1);
    }

    /// The value of the first sample of <paramref name="metric"/> (whose labels hold <paramref name="label"/>) in a scrape.
    static double? Sample(string scrape, string metric, string label = "")
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal) || !line.Contains(label, StringComparison.Ordinal)) continue;
            return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return null;
    }
}

/// The OpenTelemetry SDK listens to meters by name in the whole process, so a scrape also reads the instruments of
/// any other gateway the test process runs at the time: tests that count exact totals run alone.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetricsCollection
{
    public const string Name = "process-wide metrics";
}
