using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

public sealed class TracingTests
{
    const string ClientTrace = "0af7651916cd43dd8448eb211c80319c";
    const string ClientParent = "b7ad6b7169203331";
    const string ClientTraceparent = $"00-{ClientTrace}-{ClientParent}-01";

    static CancellationToken Token => TestContext.Current.CancellationToken;

    static string ProxyYaml(string url, string gatewayExtra = "") => $$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"]{{gatewayExtra}} }
        services:
          items: { urls: ["{{url}}"] }
        routes:
          - name: items
            match: { path: "/items/{id}" }
            service: items
        """;

    static List<string> TraceparentsOf(TestBackend.ReceivedRequest received) =>
        [.. received.Headers.Where(h => h.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value.Split(','))];

    [Fact]
    public async Task Aggregate_TwoHttpParts_OneTraceWithServerSpanAndAClientSpanPerPartWhoseContextEachUpstreamReceives()
    {
        var spans = new ExportedSpans();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              a: { urls: ["{{a.Url}}"] }
              b: { urls: ["{{b.Url}}"] }
            routes:
              - name: both
                match: { path: "/both/{id}" }
                aggregate:
                  parts:
                    first: { service: a, path: "/a/{id}" }
                    second: { service: b, path: /b }
            """, spans);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/both/7?secret=x", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.DisplayName.ShouldBe("GET both");
        server.GetTagItem("http.route").ShouldBe("/both/{id}");
        server.GetTagItem("url.path").ShouldBe("/both/7");
        server.GetTagItem("http.response.status_code").ShouldBe(200);
        server.GetTagItem("portico.gateway").ShouldBe("default");
        server.GetTagItem("portico.route").ShouldBe("both");
        server.ParentSpanId.ShouldBe(default);
        var trace = spans.Of(server.TraceId);
        var clients = trace.Where(s => s.Kind == ActivityKind.Client).ToList();
        clients.Count.ShouldBe(2);
        clients.ShouldAllBe(c => c.ParentSpanId == server.SpanId);
        clients.Select(c => c.GetTagItem("portico.service")).OrderBy(s => s).ShouldBe(["a", "b"]);
        trace.Count.ShouldBe(3);
        foreach (var (backend, service) in new[] { (a, "a"), (b, "b") })
        {
            var received = TraceparentsOf(backend.Received.ShouldHaveSingleItem()).ShouldHaveSingleItem();
            var span = clients.Single(c => (string?)c.GetTagItem("portico.service") == service);
            TracedGateway.Parse(received).ShouldBe((server.TraceId.ToHexString(), span.SpanId.ToHexString()));
            span.GetTagItem("server.port").ShouldBe(backend.Port);
            span.GetTagItem("http.response.status_code").ShouldBe(200);
        }
    }

    [Fact]
    public async Task SessionLogin_TracingOn_TheLoginServiceGetsTheClientSpansContext()
    {
        var spans = new ExportedSpans();
        await using var users = await TestBackend.StartAsync("users", SessionLogins.VerifiesAlice());
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
            auth:
              session: { cookie: sid, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: false }
            routes:
              - { name: me, match: { path: /users/me }, service: users, auth: [session] }
            """, spans);
        using var client = gateway.CreateClient();

        using var login = await SessionLogins.LoginAsync(client);

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port, "/auth/login");
        var call = spans.Of(server.TraceId).Where(s => s.Kind == ActivityKind.Client).ShouldHaveSingleItem();
        call.ParentSpanId.ShouldBe(server.SpanId);
        call.DisplayName.ShouldBe("POST users");
        call.GetTagItem("http.response.status_code").ShouldBe(200);
        var received = users.Received.ShouldHaveSingleItem();
        received.PathAndQuery.ShouldBe("/auth/verify");
        TracedGateway.Parse(TraceparentsOf(received).ShouldHaveSingleItem()).ShouldBe((server.TraceId.ToHexString(), call.SpanId.ToHexString()));
    }

    [Fact]
    public async Task Proxy_ClientSendsTraceparent_TraceContinuedAndUpstreamGetsExactlyOneTraceparentFromTheClientSpan()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", ClientTraceparent);
        request.Headers.Add("tracestate", "vendor=abc");

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.TraceId.ToHexString().ShouldBe(ClientTrace);
        server.ParentSpanId.ToHexString().ShouldBe(ClientParent);
        var span = spans.Of(server.TraceId).Single(s => s.Kind == ActivityKind.Client);
        span.ParentSpanId.ShouldBe(server.SpanId);
        span.GetTagItem("http.request.method").ShouldBe("GET");
        span.GetTagItem("portico.service").ShouldBe("items");
        var received = backend.Received.ShouldHaveSingleItem();
        TracedGateway.Parse(TraceparentsOf(received).ShouldHaveSingleItem()).ShouldBe((ClientTrace, span.SpanId.ToHexString()));
        received.Headers["tracestate"].ShouldBe("vendor=abc");
    }

    [Fact]
    public async Task Proxy_RetriedAttempts_OneClientSpanPerAttempt()
    {
        var spans = new ExportedSpans();
        var calls = 0;
        await using var backend = await TestBackend.StartAsync("items", app => app.Map("/items/{id}", () =>
            Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Text("fine")));
        await using var gateway = await TracedGateway.StartAsync($$"""
            services:
              items: { urls: ["{{backend.Url}}"], retry: { attempts: 2, backoff: 1ms, maxBackoff: 5ms } }
            routes:
              - name: items
                match: { path: "/items/{id}" }
                service: items
            """, spans);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items/1", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        var attempts = spans.Of(server.TraceId).Where(s => s.Kind == ActivityKind.Client).OrderBy(s => s.StartTimeUtc).ToList();
        attempts.Select(s => s.GetTagItem("http.response.status_code")).ShouldBe([503, 200]);
        attempts[0].Status.ShouldBe(ActivityStatusCode.Error);
        var received = backend.Received.Select(r => TracedGateway.Parse(TraceparentsOf(r).ShouldHaveSingleItem()).Parent).ToList();
        received.ShouldBe(attempts.Select(s => s.SpanId.ToHexString()).ToList());
    }

    [Fact]
    public async Task Proxy_UpstreamRefusesConnections_ServerSpanIsAnErrorAndClientSpanSaysConnectError()
    {
        var spans = new ExportedSpans();
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(ClosedPort.Url()), spans);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/items/1", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.Status.ShouldBe(ActivityStatusCode.Error);
        server.GetTagItem("http.response.status_code").ShouldBe(502);
        server.GetTagItem("error.type").ShouldNotBeNull();
        var call = spans.Of(server.TraceId).Single(s => s.Kind == ActivityKind.Client);
        call.Status.ShouldBe(ActivityStatusCode.Error);
        call.GetTagItem("error.type").ShouldBe("connect_error");
        call.GetTagItem("http.response.status_code").ShouldBeNull();
    }

    [Fact]
    public async Task UnmatchedPath_ServerSpanNamedByMethodWithoutRoute()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);
        using var client = gateway.CreateClient();

        var response = await client.GetAsync("/nowhere?token=secret", Token);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.DisplayName.ShouldBe("GET");
        server.GetTagItem("url.path").ShouldBe("/nowhere");
        server.GetTagItem("http.route").ShouldBeNull();
        server.GetTagItem("portico.route").ShouldBeNull();
        server.Status.ShouldBe(ActivityStatusCode.Unset);
        server.TagObjects.Select(t => t.Value?.ToString() ?? "").Where(v => v.Contains("secret", StringComparison.Ordinal)).ShouldBeEmpty();
        spans.Of(server.TraceId).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Proxy_UntrustingGateway_NewTraceAndUpstreamNeverSeesTheClientsTraceHeaders()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url, ", trustTraceContext: false"), spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", ClientTraceparent);
        request.Headers.Add("tracestate", "vendor=abc");
        request.Headers.Add("baggage", "user=42");

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.TraceId.ToHexString().ShouldNotBe(ClientTrace);
        server.ParentSpanId.ShouldBe(default);
        var received = backend.Received.ShouldHaveSingleItem();
        TracedGateway.Parse(TraceparentsOf(received).ShouldHaveSingleItem()).Trace.ShouldBe(server.TraceId.ToHexString());
        received.Headers.ShouldNotContainKey("tracestate");
        received.Headers.ShouldNotContainKey("baggage");
        received.Headers.Values.ShouldAllBe(v => !v.Contains(ClientTrace, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_UntrustingGatewayTracingOff_UpstreamNeverSeesTheClientsTraceHeaders()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url, ", trustTraceContext: false"), spans, tracing: false);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", ClientTraceparent);
        request.Headers.Add("tracestate", "vendor=abc");

        (await client.SendAsync(request, Token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var received = backend.Received.ShouldHaveSingleItem();
        received.Headers.ShouldNotContainKey("traceparent");
        received.Headers.ShouldNotContainKey("tracestate");
    }

    [Fact]
    public async Task Proxy_TracingOff_NoSpanExportedAndTheClientsTraceparentPassesUnchanged()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans, tracing: false);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", ClientTraceparent);

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        TraceparentsOf(backend.Received.ShouldHaveSingleItem()).ShouldHaveSingleItem().ShouldBe(ClientTraceparent);
        // Another test's tracing host may export spans too: none of them is this gateway's or of the client's trace.
        var ports = new object[] { gateway.BaseAddress().Port, backend.Port };
        spans.Snapshot().Where(s => s.TraceId.ToHexString() == ClientTrace || ports.Contains(s.GetTagItem("server.port"))).ShouldBeEmpty();
    }

    public static TheoryData<string> MalformedTraceparents => new()
    {
        $"ff-{ClientTrace}-{ClientParent}-01",                       // version ff is invalid
        $"00-{ClientTrace}-{ClientParent}",                          // missing flags
        $"00-{ClientTrace}0-{ClientParent}-01",                      // trace id too long
        $"00-{ClientTrace[..30]}-{ClientParent}-01",                 // trace id too short
        $"00-00000000000000000000000000000000-{ClientParent}-01",    // all-zero trace id
        $"00-{ClientTrace}-0000000000000000-01",                     // all-zero parent id
        $"00-{ClientTrace.ToUpperInvariant()}-{ClientParent}-01",    // uppercase hex
        $"00-{ClientTrace[..31]}g-{ClientParent}-01",                // not hex
        "",
        new string('0', 8000),
    };

    [Theory]
    [MemberData(nameof(MalformedTraceparents))]
    public async Task Proxy_MalformedTraceparent_NewTraceAndUpstreamGetsOnlyTheGatewaysContext(string traceparent)
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.TryAddWithoutValidation("traceparent", traceparent).ShouldBeTrue();
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=abc");

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.ParentSpanId.ShouldBe(default);
        server.TraceId.ToHexString().ShouldNotBe(ClientTrace);
        var received = backend.Received.ShouldHaveSingleItem();
        TracedGateway.Parse(TraceparentsOf(received).ShouldHaveSingleItem()).Trace.ShouldBe(server.TraceId.ToHexString());
        received.Headers.ShouldNotContainKey("tracestate");
    }

    [Fact]
    public async Task Proxy_TwoTraceparentHeaders_NewTraceAndOneTraceparentUpstream()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);

        var status = await RawGetAsync(gateway, $"traceparent: {ClientTraceparent}\r\ntraceparent: 00-{new string('1', 32)}-{ClientParent}-01\r\n");

        status.ShouldBe(200);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.ParentSpanId.ShouldBe(default);
        TracedGateway.Parse(TraceparentsOf(backend.Received.ShouldHaveSingleItem()).ShouldHaveSingleItem()).Trace.ShouldBe(server.TraceId.ToHexString());
    }

    public static TheoryData<string> HugeTracestates => new()
    {
        string.Join(",", Enumerable.Range(0, 1000).Select(i => $"v{i}=x")),
        "vendor=" + new string('x', 6000),
        string.Join(",", Enumerable.Range(0, 20).Select(i => $"v{i}={new string('y', 200)}")),
    };

    [Theory]
    [MemberData(nameof(HugeTracestates))]
    public async Task Proxy_HugeTracestate_TraceContinuedAndOnlyABoundedTracestateGoesOn(string tracestate)
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1");
        request.Headers.Add("traceparent", ClientTraceparent);
        request.Headers.TryAddWithoutValidation("tracestate", tracestate);

        var response = await client.SendAsync(request, Token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.TraceId.ToHexString().ShouldBe(ClientTrace);
        (server.TraceStateString?.Length ?? 0).ShouldBeLessThanOrEqualTo(512);
        var received = backend.Received.ShouldHaveSingleItem();
        received.Headers.GetValueOrDefault("tracestate").ShouldBe(server.TraceStateString);
    }

    [Fact]
    public async Task Request_TraceparentCutByABareLineFeed_ReadAsTwoHeadersAndANewTrace()
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);

        var status = await RawGetAsync(gateway, $"traceparent: 00-{ClientTrace}\nX-Injected: yes-{ClientParent}-01\r\n");

        status.ShouldBe(200);
        var server = await spans.ServerSpanAsync(gateway.BaseAddress().Port);
        server.TraceId.ToHexString().ShouldNotBe(ClientTrace);
        TracedGateway.Parse(TraceparentsOf(backend.Received.ShouldHaveSingleItem()).ShouldHaveSingleItem()).Trace.ShouldBe(server.TraceId.ToHexString());
    }

    [Theory]
    [InlineData("traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\rX-Injected: yes\r\n")]
    [InlineData("tracestate: a=b\rX-Injected: yes\r\n")]
    public async Task Request_TraceHeaderWithCrOrLf_RefusedWith400AndNothingReachesTheUpstream(string header)
    {
        var spans = new ExportedSpans();
        await using var backend = await TestBackend.StartAsync("items");
        await using var gateway = await TracedGateway.StartAsync(ProxyYaml(backend.Url), spans);

        var status = await RawGetAsync(gateway, header);

        status.ShouldBe(400);
        backend.Received.ShouldBeEmpty();
    }

    /// A GET /items/1 written on the socket as given, so headers HttpClient would refuse can be sent; returns the status.
    static async Task<int> RawGetAsync(GatewayUnderTest gateway, string headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, gateway.BaseAddress().Port, Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes($"GET /items/1 HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n"), Token);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var statusLine = await reader.ReadLineAsync(Token) ?? "";
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
