using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

/// The JSON access log written to a file beside the config: its fields for answered, refused, failed and unmatched
/// requests, its filters, what it never holds (credentials, queries), hostile paths, and a clean stop.
public sealed class AccessLogTests
{
    static readonly string Key = ApiKeys.Generate();

    static string Config(TestBackend backend, string telemetry = "accessLog: { output: access.log }", string gateways = "") => $$"""
        {{gateways}}
        services:
          api: { urls: ["{{backend.Url}}"], retry: { attempts: 2 } }
          dead: { urls: ["{{ClosedPort.Url()}}"], retry: { attempts: 2 } }
        auth:
          apikey: { header: X-Api-Key, query: api_key }
          consumers:
            shop: { keys: ["{{ApiKeys.Hash(Key)}}"] }
        rateLimits:
          plenty: { algorithm: fixed-window, limit: 1000, window: 1h, key: ip }
        cachePolicies:
          short: { ttl: 5m }
        routes:
          - { name: orders, match: { path: "/orders/{**rest}" }, service: api, auth: [apikey], rateLimit: plenty, cache: short }
          - { name: open, match: { path: "/open/{**rest}" }, service: api }
          - { name: broken, match: { path: "/broken" }, service: dead }
        telemetry:
          {{telemetry}}
        """;

    /// ASP.NET Core makes its request activity only while something listens; this stands in for a tracer.
    static ActivityListener ListenToRequests()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public async Task AccessLog_ProxiedRefusedFailedAndUnmatched_EveryFieldFilledOrLegitimatelyNull()
    {
        var ct = TestContext.Current.CancellationToken;
        using var activities = ListenToRequests();
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var proxied = new HttpRequestMessage(HttpMethod.Post, "/orders/1?page=2") { Content = new StringContent("hello", Encoding.UTF8) };
        proxied.Headers.Add("X-Api-Key", Key);
        using var ok = await client.SendAsync(proxied, ct);
        var okBody = await ok.Content.ReadAsByteArrayAsync(ct);
        using var refused = await client.GetAsync("/orders/2", ct);
        var refusedProblem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement;
        using var failed = await client.GetAsync("/broken", ct);
        using var unmatched = await client.GetAsync("/nowhere", ct);
        var lines = await AccessLogFile.WaitForAsync(gateway, 4);

        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        failed.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        unmatched.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        lines.Count.ShouldBe(4);

        var a = lines.For("/orders/1");
        DateTimeOffset.Parse(a.Str("timestamp")!, CultureInfo.InvariantCulture).ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        a.Str("timestamp")!.ShouldEndWith("Z");
        a.Str("gateway").ShouldBe("default");
        a.Str("route").ShouldBe("orders");
        a.Str("method").ShouldBe("POST");
        a.GetProperty("status").GetInt32().ShouldBe(200);
        a.GetProperty("duration_ms").GetDouble().ShouldBeGreaterThan(0);
        a.Str("service").ShouldBe("api");
        a.Str("destination").ShouldBe($"http://127.0.0.1:{backend.Port}");
        a.GetProperty("upstream_status").GetInt32().ShouldBe(200);
        a.GetProperty("bytes_in").GetInt64().ShouldBe(5);
        a.GetProperty("bytes_out").GetInt64().ShouldBe(okBody.Length);
        a.Str("client_address").ShouldBe("127.0.0.1");
        a.Str("consumer_id").ShouldBe("shop");
        a.Str("auth_scheme").ShouldBe("apikey");
        a.Str("trace_id")!.Length.ShouldBe(32);
        a.Str("request_id").ShouldBe(ok.Headers.GetValues("X-Request-Id").Single());
        a.Str("cache").ShouldBe("bypass");
        a.Str("rate_limit").ShouldBe("admitted");
        a.Str("error_type").ShouldBeNull();

        var r = lines.For("/orders/2");
        r.Str("route").ShouldBe("orders");
        r.GetProperty("status").GetInt32().ShouldBe(401);
        r.Str("auth_scheme").ShouldBe("apikey");
        r.Str("error_type").ShouldBe("unauthorized");
        r.Str("request_id").ShouldBe(refusedProblem.GetProperty("requestId").GetString());
        r.Str("trace_id").ShouldBe(refusedProblem.GetProperty("traceId").GetString());
        r.GetProperty("bytes_out").GetInt64().ShouldBe(refused.Content.Headers.ContentLength!.Value);
        r.Str("client_address").ShouldBe("127.0.0.1");
        // Refused before any upstream, limit or cache: those stay null.
        foreach (var field in new[] { "service", "destination", "upstream_status", "consumer_id", "rate_limit", "cache" })
            r.GetProperty(field).ValueKind.ShouldBe(JsonValueKind.Null, field);

        var f = lines.For("/broken");
        f.Str("route").ShouldBe("broken");
        f.GetProperty("status").GetInt32().ShouldBe(502);
        f.Str("service").ShouldBe("dead");
        f.Str("destination")!.ShouldStartWith("http://127.0.0.1:");
        f.GetProperty("upstream_status").ValueKind.ShouldBe(JsonValueKind.Null);
        f.Str("error_type").ShouldBe("upstream-unreachable");
        f.Str("request_id")!.Length.ShouldBe(32);

        var u = lines.For("/nowhere");
        u.Str("gateway").ShouldBe("default");
        u.Str("route").ShouldBeNull();
        u.GetProperty("status").GetInt32().ShouldBe(404);
        u.Str("error_type").ShouldBe("no-route");

        // Stable schema: every line has every field, in the same order.
        var fields = a.EnumerateObject().Select(p => p.Name).ToList();
        fields.ShouldBe(["timestamp", "gateway", "route", "method", "path", "status", "duration_ms", "service", "destination", "upstream_status",
            "bytes_in", "bytes_out", "client_address", "consumer_id", "auth_scheme", "trace_id", "request_id", "cache", "rate_limit", "error_type"]);
        foreach (var line in lines) line.EnumerateObject().Select(p => p.Name).ShouldBe(fields);
    }

    [Fact]
    public async Task AccessLog_ClientGoesAwayBeforeTheAnswer_LineWith499Aborted()
    {
        var ct = TestContext.Current.CancellationToken;
        // The upstream answers only when the request is aborted: the client leaves first.
        await using var backend = await TestBackend.StartAsync("api", app => app.MapGet("/open/hang", async (Microsoft.AspNetCore.Http.HttpContext c) =>
            await new TaskCompletionSource().Task.WaitAsync(c.RequestAborted)));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var pending = client.GetAsync("/open/hang", leave.Token);
        await RateLimiting.Poll.UntilAsync(() => !backend.Received.IsEmpty, TimeSpan.FromSeconds(10));
        await leave.CancelAsync();
        await Should.ThrowAsync<TaskCanceledException>(pending);
        var lines = await AccessLogFile.WaitForAsync(gateway, 1);

        var line = lines.ShouldHaveSingleItem();
        line.Str("route").ShouldBe("open");
        line.GetProperty("status").GetInt32().ShouldBe(499);
        line.Str("error_type").ShouldBe("aborted");
        line.Str("service").ShouldBe("api");
    }

    [Fact]
    public async Task AccessLog_CachedRoute_MissStoredThenHit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);

        (await client.GetAsync("/orders/cached", ct)).Dispose();
        (await client.GetAsync("/orders/cached", ct)).Dispose();
        var lines = await AccessLogFile.WaitForAsync(gateway, 2);

        lines.Select(l => l.Str("cache")).ShouldBe(["stored", "hit"]);
        lines[1].Str("service").ShouldBeNull();
        lines[1].Str("consumer_id").ShouldBe("shop");
        backend.Received.Count.ShouldBe(1);
    }

    [Fact]
    public async Task AccessLog_CredentialsInHeadersCookiesAndQuery_NeverWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ";
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("shop:basic-secret-password"));
        var wrongKey = ApiKeys.Generate();
        var cookie = "portico_session=cookie-secret-0123456789";
        var querySecret = "query-secret-abcdef";
        string[] secrets = [jwt, basic, "basic-secret-password", Key, wrongKey, "cookie-secret-0123456789", querySecret];

        async Task SendAsync(string target, Action<HttpRequestMessage> add)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            add(request);
            using var response = await client.SendAsync(request, ct);
        }
        await SendAsync("/orders/a", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + jwt));
        await SendAsync("/orders/b", r => r.Headers.TryAddWithoutValidation("Authorization", "Basic " + basic));
        await SendAsync("/orders/c", r => r.Headers.Add("X-Api-Key", Key));
        await SendAsync("/orders/d?api_key=" + Key, _ => { });
        await SendAsync("/orders/e?api_key=" + wrongKey, _ => { });
        await SendAsync("/open/f", r => r.Headers.Add("Cookie", cookie));
        await SendAsync("/open/g?token=" + querySecret + "&x=1", _ => { });
        await SendAsync("/nowhere?password=" + querySecret, _ => { });
        var lines = await AccessLogFile.WaitForAsync(gateway, 8);

        lines.Count.ShouldBe(8);
        lines.For("/orders/c").Str("consumer_id").ShouldBe("shop");
        lines.For("/orders/d").Str("consumer_id").ShouldBe("shop");
        lines.For("/orders/e").GetProperty("status").GetInt32().ShouldBe(401);
        var text = AccessLogFile.Text(gateway);
        foreach (var secret in secrets) text.ShouldNotContain(secret);
        text.ShouldNotContain("?");
        text.ShouldNotContain("api_key");
        text.ShouldNotContain("token=");
    }

    [Fact]
    public async Task AccessLog_StatusesFilter_LogsOnly5xx()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "accessLog: { output: access.log, statuses: [5xx] }"));
        using var client = gateway.CreateClient();

        (await client.GetAsync("/open/ok", ct)).Dispose();
        (await client.GetAsync("/nowhere", ct)).Dispose();
        (await client.GetAsync("/orders/no-key", ct)).Dispose();
        (await client.GetAsync("/broken", ct)).Dispose();
        var lines = await AccessLogFile.StopAndReadAsync(gateway);

        lines.Select(l => l.GetProperty("status").GetInt32()).ShouldBe([502]);
    }

    [Fact]
    public async Task AccessLog_GatewayAccessLogFalseAndSampleZero_LogNothingForThoseGateways()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        var gateways = """
            gateways:
              logged: { listen: ["http://127.0.0.1:0"], accessLog: { sample: 1 } }
              quiet: { listen: ["http://127.0.0.1:0"], accessLog: false }
              sampled: { listen: ["http://127.0.0.1:0"] }
            """;
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "accessLog: { output: access.log, sample: 0 }", gateways));
        using var quiet = gateway.CreateClient("quiet");
        using var sampled = gateway.CreateClient("sampled");
        using var logged = gateway.CreateClient("logged");

        for (var i = 0; i < 20; i++)
        {
            (await quiet.GetAsync($"/open/quiet{i}", ct)).Dispose();
            (await sampled.GetAsync($"/open/sampled{i}", ct)).Dispose();
        }
        (await logged.GetAsync("/open/logged", ct)).Dispose();
        var lines = await AccessLogFile.StopAndReadAsync(gateway);

        lines.Select(l => l.Str("path")).ShouldBe(["/open/logged"]);
        lines[0].Str("gateway").ShouldBe("logged");
    }

    [Fact]
    public async Task AccessLog_HostilePaths_EachStaysOneValidJsonLine()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        string[] targets =
        [
            "/open/a%0D%0Ab%22c%5C%7B%7D",
            "/open/%E2%80%A8line%E2%80%A9sep%C3%A9%F0%9F%98%80",
            "/open/x%1By%7Fz",
            "/open/a%2Fb",
            "/nowhere/%0A%7B%22status%22%3A200%7D",
            "/open/" + new string('a', 6000),
            "/open/%2e%2e/%2e%2e/etc",
        ];

        var statuses = new List<HttpStatusCode>();
        foreach (var target in targets)
        {
            using var response = await client.GetAsync(target, ct);
            statuses.Add(response.StatusCode);
        }
        var lines = await AccessLogFile.WaitForAsync(gateway, targets.Length);

        lines.Count.ShouldBe(targets.Length);
        lines.Select(l => l.GetProperty("status").GetInt32()).ShouldBe(statuses.Select(s => (int)s));
        AccessLogFile.Text(gateway).Count(c => c == '\n').ShouldBe(targets.Length);
        // Every line is plain ASCII: control and non-ASCII characters are escaped.
        AccessLogFile.Text(gateway).ShouldAllBe(c => c >= 0x20 && c < 0x7F || c == '\n');
        lines.ShouldContain(l => l.Str("path")!.Length > 6000);
    }

    [Fact]
    public async Task AccessLog_CleanStop_EveryLineOfTheRequestsServedIsInTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var path = AccessLogFile.PathOf(gateway);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i => (await client.GetAsync($"/open/{i}", ct)).Dispose()));
        await gateway.App.StopAsync(ct);

        // Read right after the stop, without waiting: the stop itself wrote and closed the file.
        var lines = (await File.ReadAllLinesAsync(path, ct)).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        lines.Select(l => l.Str("path")).Order().ShouldBe(Enumerable.Range(0, 200).Select(i => $"/open/{i}").Order());
    }
}
