using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Telemetry;

/// Request ids: a client's valid id is kept, any other replaced (the upstream sees only the gateway's choice), and
/// every answer carries the id, the gateway's own problems in their body too. Off, the header is any other header.
public sealed class RequestIdTests
{
    static string Config(TestBackend backend, string telemetry = "") => $$"""
        services:
          api: { urls: ["{{backend.Url}}"] }
        routes:
          - { name: open, match: { path: "/open/{**rest}" }, service: api }
        {{telemetry}}
        """;

    /// Sends header lines as given (HttpClient refuses some of them) on a connection closed after the answer.
    static async Task<string> SendRawAsync(int port, string path, params string[] headers)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        var stream = tcp.GetStream();
        var request = $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), ct);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadToEndAsync(ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    static string? HeaderOf(string response, string name) => response.Split("\r\n\r\n")[0].Split("\r\n")
        .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 1)..].Trim()).SingleOrDefault();

    [Theory]
    [InlineData("X-Request-Id: has space")]
    [InlineData("X-Request-Id: \"quoted\"")]
    [InlineData("X-Request-Id: tab\there")]
    [InlineData("X-Request-Id: ctl\u0001char")]
    [InlineData("X-Request-Id: ")]
    [InlineData("X-Request-Id: one", "X-Request-Id: two")]
    [InlineData("X-Request-Id: a,b")]
    public async Task RequestId_InvalidClientId_ReplacedUpstreamAndInTheAnswer(params string[] headers)
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));

        var response = await SendRawAsync(gateway.BaseAddress().Port, "/open/bad", headers);

        response.ShouldStartWith("HTTP/1.1 200");
        var returned = HeaderOf(response, "X-Request-Id");
        returned.ShouldNotBeNull();
        returned.ShouldMatch("^[0-9a-f]{32}$");
        backend.Received.Single().Headers["X-Request-Id"].ShouldBe(returned);
    }

    [Fact]
    public async Task RequestId_TooLongOrWithCrLf_NeverReachesUpstream()
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        var port = gateway.BaseAddress().Port;
        var tooLong = new string('a', 200);

        var longAnswer = await SendRawAsync(port, "/open/long", "X-Request-Id: " + tooLong);
        var crAnswer = await SendRawAsync(port, "/open/cr", "X-Request-Id: abc\rX-Injected: yes");
        var lfAnswer = await SendRawAsync(port, "/open/lf", "X-Request-Id: abc\nX-Injected: yes");

        longAnswer.ShouldStartWith("HTTP/1.1 200");
        HeaderOf(longAnswer, "X-Request-Id")!.ShouldMatch("^[0-9a-f]{32}$");
        backend.Received.Single(r => r.PathAndQuery == "/open/long").Headers["X-Request-Id"].ShouldBe(HeaderOf(longAnswer, "X-Request-Id"));
        // A bare CR or LF inside a header is refused by the server before any route, or split into two headers
        // (then "abc" is a valid id); either way nothing of the injected line travels as the id.
        crAnswer.ShouldNotContain("X-Injected");
        lfAnswer.ShouldNotContain("X-Injected");
        foreach (var seen in backend.Received)
        {
            seen.Headers["X-Request-Id"].ShouldNotContain(tooLong);
            seen.Headers["X-Request-Id"].ShouldNotContain("X-Injected");
            seen.Headers["X-Request-Id"].ShouldMatch("^[A-Za-z0-9._:+/=@-]{1,128}$");
        }
    }

    [Theory]
    [InlineData("abc-123")]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("svc:order/42+retry=1@edge_a.b")]
    public async Task RequestId_ValidClientId_ReachesUpstreamUnchangedAndIsReturned(string id)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/good");
        request.Headers.Add("X-Request-Id", id);

        using var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Request-Id").ShouldBe([id]);
        backend.Received.Single().Headers["X-Request-Id"].ShouldBe(id);
    }

    [Fact]
    public async Task RequestId_LongestValidId_Kept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();
        var id = new string('x', 128);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/longest");
        request.Headers.Add("X-Request-Id", id);

        using var response = await client.SendAsync(request, ct);

        response.Headers.GetValues("X-Request-Id").ShouldBe([id]);
        backend.Received.Single().Headers["X-Request-Id"].ShouldBe(id);
    }

    [Fact]
    public async Task RequestId_None_MadeSentUpstreamAndReturnedOncePerRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api", app => app.Use(async (context, next) =>
        {
            // An upstream that echoes an id of its own must not add a second value.
            context.Response.Headers["X-Request-Id"] = "upstream-own";
            await next(context);
        }));
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync("/open/1", ct);
        using var second = await client.GetAsync("/open/2", ct);

        var ids = new[] { first, second }.Select(r => r.Headers.GetValues("X-Request-Id").Single()).ToList();
        ids.ShouldAllBe(id => id.Length == 32);
        ids.Distinct().Count().ShouldBe(2);
        backend.Received.Select(r => r.Headers["X-Request-Id"]).ShouldBe(ids);
    }

    [Theory]
    [InlineData("/nowhere", 404, "urn:portico:problem:no-route")]
    [InlineData("/open/a%2Fb", 400, "urn:portico:problem:bad-path")]
    public async Task RequestId_GatewayProblem_HeaderAndBodyCarryTheId(string path, int status, string type)
    {
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend));

        var given = await SendRawAsync(gateway.BaseAddress().Port, path, "X-Request-Id: client-id-1");
        var made = await SendRawAsync(gateway.BaseAddress().Port, path);

        foreach (var (response, expected) in new[] { (given, "client-id-1"), (made, HeaderOf(made, "X-Request-Id")!) })
        {
            response.ShouldStartWith($"HTTP/1.1 {status}");
            HeaderOf(response, "X-Request-Id").ShouldBe(expected);
            var body = JsonDocument.Parse(response.Split("\r\n\r\n", 2)[1]).RootElement;
            body.GetProperty("type").GetString().ShouldBe(type);
            body.GetProperty("requestId").GetString().ShouldBe(expected);
        }
        HeaderOf(made, "X-Request-Id")!.ShouldMatch("^[0-9a-f]{32}$");
        backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task RequestId_ProblemXml_CarriesTheIdElement()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              api: { urls: ["{{backend.Url}}"] }
            auth:
              apikey: { header: X-Api-Key }
            routes:
              - { name: keyed, match: { path: /keyed }, service: api, auth: [apikey], formats: [json, xml] }
            """);
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/keyed");
        request.Headers.Add("Accept", "application/xml");
        request.Headers.Add("X-Request-Id", "xml-client-9");

        using var response = await client.SendAsync(request, ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+xml");
        response.Headers.GetValues("X-Request-Id").ShouldBe(["xml-client-9"]);
        System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync(ct)).Descendants()
            .ShouldContain(e => e.Name.LocalName == "requestId" && e.Value == "xml-client-9");
        backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task RequestId_CustomHeader_UsedBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "telemetry:\n  requestId: { header: X-Correlation-Id }"));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/custom");
        request.Headers.Add("X-Correlation-Id", "corr-7");
        request.Headers.Add("X-Request-Id", "other header, left alone");

        using var response = await client.SendAsync(request, ct);

        response.Headers.GetValues("X-Correlation-Id").ShouldBe(["corr-7"]);
        response.Headers.Contains("X-Request-Id").ShouldBeFalse();
        var seen = backend.Received.Single().Headers;
        seen["X-Correlation-Id"].ShouldBe("corr-7");
        seen["X-Request-Id"].ShouldBe("other header, left alone");
    }

    [Fact]
    public async Task RequestId_Off_ClientHeaderPassesAsAnyOtherAndNoneIsMade()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("api");
        await using var gateway = await GatewayUnderTest.StartAsync(Config(backend, "telemetry:\n  requestId: false"));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/off");
        request.Headers.Add("X-Request-Id", "not valid here");

        using var response = await client.SendAsync(request, ct);
        using var unmatched = await client.GetAsync("/nowhere", ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.Contains("X-Request-Id").ShouldBeFalse();
        backend.Received.Single().Headers["X-Request-Id"].ShouldBe("not valid here");
        unmatched.Headers.Contains("X-Request-Id").ShouldBeFalse();
        JsonDocument.Parse(await unmatched.Content.ReadAsStringAsync(ct)).RootElement.TryGetProperty("requestId", out _).ShouldBeFalse();
    }
}
