using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// What the upstream and the client see of headers: configured transforms (gateway defaults, then route),
/// X-Forwarded-* set by the gateway, the upstream's own Host, and hop-by-hop headers dropped.
public sealed class HeaderForwardingTests : IAsyncLifetime
{
    TestBackend _backend = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("echo", app =>
        {
            app.MapGet("/with-headers", (HttpContext c) =>
            {
                c.Response.Headers["X-Backend-Debug"] = "internal";
                c.Response.Headers["X-Gateway"] = "from-backend";
                c.Response.Headers["X-Kept"] = "yes";
                return "ok";
            });
            app.MapGet("/p/upstream-hop", (HttpContext c) =>
            {
                c.Response.Headers.Connection = "X-Upstream-Hop";
                c.Response.Headers["X-Upstream-Hop"] = "per-connection";
                c.Response.Headers["X-Upstream-Kept"] = "yes";
                return "ok";
            });
            app.MapPost("/p/chunked-check", async (HttpContext c) =>
            {
                using var reader = new StreamReader(c.Request.Body);
                return "body=" + await reader.ReadToEndAsync();
            });
        });
        _gateway = await GatewayUnderTest.StartAsync($$"""
            gateways:
              default:
                listen: ["http://127.0.0.1:0"]
                headers:
                  request: { set: { X-Gateway-Req: gateway, X-Env: prod }, append: { X-Trace: gateway }, remove: [X-Secret] }
                  response: { set: { X-Gateway: default }, append: { X-Resp-Trace: gateway } }
            services:
              echo: { urls: ["{{_backend.Url}}"] }
            routes:
              - name: transformed
                match: { path: "/t/{**rest}" }
                service: echo
                rewrite: /with-headers
                headers:
                  request: { set: { X-Gateway-Req: route, X-Route: transformed }, append: { X-Trace: route }, remove: [X-Internal] }
                  response: { set: { X-Route-Resp: transformed }, append: { X-Resp-Trace: route }, remove: [X-Backend-Debug] }
              - name: plain
                match: { path: "/p/{**rest}" }
                service: echo
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    static string[] Values(string header) => header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task RequestTransforms_GatewayThenRoute_SeenAtUpstream()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/x");
        request.Headers.Add("X-Trace", "client");
        request.Headers.Add("X-Secret", "s3cr3t");
        request.Headers.Add("X-Internal", "1");
        request.Headers.Add("X-Env", "client-chosen");
        request.Headers.Add("X-Untouched", "same");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var seen = _backend.Received.Single(r => r.PathAndQuery == "/with-headers").Headers;
        seen["X-Gateway-Req"].ShouldBe("route");
        seen["X-Route"].ShouldBe("transformed");
        seen["X-Env"].ShouldBe("prod");
        Values(seen["X-Trace"]).ShouldBe(["client", "gateway", "route"]);
        seen.ShouldNotContainKey("X-Secret");
        seen.ShouldNotContainKey("X-Internal");
        seen["X-Untouched"].ShouldBe("same");
    }

    [Fact]
    public async Task ResponseTransforms_GatewayThenRoute_SeenAtClient()
    {
        using var response = await _client.GetAsync("/t/x", TestContext.Current.CancellationToken);

        response.Headers.GetValues("X-Gateway").ShouldBe(["default"]);
        response.Headers.GetValues("X-Route-Resp").ShouldBe(["transformed"]);
        response.Headers.GetValues("X-Resp-Trace").SelectMany(Values).ShouldBe(["gateway", "route"]);
        response.Headers.Contains("X-Backend-Debug").ShouldBeFalse();
        response.Headers.GetValues("X-Kept").ShouldBe(["yes"]);
    }

    [Fact]
    public async Task RouteWithoutTransforms_GetsGatewayDefaultsOnly()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/p/plain-check");
        request.Headers.Add("X-Internal", "1");
        request.Headers.Add("X-Secret", "s3cr3t");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        var seen = _backend.Received.Single(r => r.PathAndQuery == "/p/plain-check").Headers;
        seen["X-Gateway-Req"].ShouldBe("gateway");
        seen["X-Internal"].ShouldBe("1");
        seen.ShouldNotContainKey("X-Secret");
        seen.ShouldNotContainKey("X-Route");
        response.Headers.GetValues("X-Gateway").ShouldBe(["default"]);
    }

    [Fact]
    public async Task ForwardedHeaders_SetByGateway_ClientValuesReplacedAndUpstreamGetsOwnHost()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/p/forwarded-check");
        request.Headers.Host = "public.example.com";
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("Forwarded", "for=6.6.6.6;proto=https");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var seen = _backend.Received.Single(r => r.PathAndQuery == "/p/forwarded-check").Headers;
        seen["X-Forwarded-For"].ShouldBe("127.0.0.1");
        seen["X-Forwarded-Proto"].ShouldBe("http");
        seen["X-Forwarded-Host"].ShouldBe("public.example.com");
        seen.ShouldNotContainKey("Forwarded");
        seen["Host"].ShouldBe($"127.0.0.1:{_backend.Port}");
    }

    [Fact]
    public async Task HopByHopHeaders_NotForwardedToUpstream()
    {
        // Kestrel keeps only "keep-alive"/"close" of a Connection header that lists one of them, so the custom
        // token is sent alone here (HTTP/1.1 is keep-alive by default).
        var raw = string.Join("\r\n",
            "GET /p/hop-check HTTP/1.1",
            $"Host: 127.0.0.1:{_gateway.BaseAddress().Port}",
            "Connection: X-Custom-Hop",
            "Keep-Alive: timeout=5, max=100",
            "TE: gzip",
            "Proxy-Connection: keep-alive",
            "Upgrade: websocket",
            "X-Custom-Hop: per-connection",
            "X-End-To-End: kept",
            "", "");

        var (status, _) = await SendRawAsync(_gateway.BaseAddress().Port, raw);

        status.ShouldBe(200);
        var seen = _backend.Received.Single(r => r.PathAndQuery == "/p/hop-check").Headers;
        seen["X-End-To-End"].ShouldBe("kept");
        seen.ShouldNotContainKey("X-Custom-Hop");
        seen.ShouldNotContainKey("Keep-Alive");
        seen.ShouldNotContainKey("TE");
        seen.ShouldNotContainKey("Proxy-Connection");
        seen.ShouldNotContainKey("Upgrade");
        if (seen.TryGetValue("Connection", out var connection)) connection.ShouldNotContain("X-Custom-Hop", Case.Insensitive);
    }

    [Fact]
    public async Task UpstreamConnectionListedHeaders_NotForwardedToClient()
    {
        using var response = await _client.GetAsync("/p/upstream-hop", TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Upstream-Kept").ShouldBe(["yes"]);
        response.Headers.Contains("X-Upstream-Hop").ShouldBeFalse();
    }

    [Fact]
    public async Task ChunkedRequestBody_ReframedNotCopied_BodyArrivesIntact()
    {
        var raw = string.Join("\r\n",
            "POST /p/chunked-check HTTP/1.1",
            $"Host: 127.0.0.1:{_gateway.BaseAddress().Port}",
            "Transfer-Encoding: chunked",
            "Content-Type: text/plain",
            "",
            "5", "hello", "6", " world", "0", "", "");

        var (status, response) = await SendRawAsync(_gateway.BaseAddress().Port, raw);

        status.ShouldBe(200);
        response.ShouldContain("body=hello world");
        var seen = _backend.Received.Single(r => r.PathAndQuery == "/p/chunked-check").Headers;
        // The gateway frames the upstream body itself: at most its own single "chunked", never a copied list.
        if (seen.TryGetValue("Transfer-Encoding", out var te)) te.ShouldBe("chunked");
    }

    static async Task<(int Status, string Response)> SendRawAsync(int port, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        var buffer = new byte[16384];
        var text = new StringBuilder();
        while (true)
        {
            var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            if (read == 0) break;
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var s = text.ToString();
            var end = s.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0) continue;
            var lengthLine = s[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            if (lengthLine is not null && s.Length - end - 4 >= int.Parse(lengthLine["Content-Length:".Length..].Trim())) break;
            if (lengthLine is null && s.EndsWith("0\r\n\r\n", StringComparison.Ordinal)) break;
        }
        var response = text.ToString();
        return (int.Parse(response.Split(' ')[1]), response);
    }
}
