using System.Net.Sockets;
using System.Text;
using Portico.Auth;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Hostile;

/// Encoded and ambiguous spellings of a protected path, sent over a raw socket (HttpClient would collapse dot
/// segments) to a gateway with a protected route, a rate-limited route and an anonymous catch-all to the same
/// service: each spelling is either normalized onto the protected route (401) or refused (400), never served.
public sealed class PathConfusionTests : IAsyncLifetime
{
    static readonly string Key = ApiKeys.Generate();
    GatewayFixture _edge = null!;

    public async ValueTask InitializeAsync() => _edge = await GatewayFixture.StartAsync("api", f => $$"""
        gateways:
          default: { listen: ["http://127.0.0.1:0"] }
          lenient:
            listen: ["http://127.0.0.1:0"]
            paths: { escapedSlashes: decode, backslashes: decode, pathParameters: keep, trailingDots: keep }
          keeper:
            listen: ["http://127.0.0.1:0"]
            paths: { escapedSlashes: keep, mergeSlashes: false }
        services:
          api: { urls: ["{{f.Backend.Url}}"] }
        auth:
          apikey: { header: X-Api-Key }
          consumers:
            app: { keys: ["{{ApiKeys.Hash(Key)}}"] }
        rateLimits:
          one: { algorithm: fixed-window, limit: 1, window: 1h, key: ip }
        routes:
          - name: users
            match: { path: "/api/users/{id}", methods: [GET] }
            service: api
            auth: [apikey]
          - name: limited
            match: { path: "/api/limited/{id}" }
            service: api
            rateLimit: one
          - name: legacy
            match: { path: "/{**rest}" }
            service: api
        """);

    public ValueTask DisposeAsync() => _edge.DisposeAsync();

    public static TheoryData<string> Corpus() =>
    [
        "//api/users/1", "///api/users/1", "/api//users/1", "/api/users//1", "/api/users/1",
        "/api%2Fusers/1", "/api%2fusers/1", "/api%2F%2Fusers/1", "/public/..%2Fapi/users/1", "/public/..%2fapi/users/1",
        "/public/%2E%2E/api/users/1", "/public/%2e%2e/api/users/1", "/public/.%2E/api/users/1", "/public/%2e./api/users/1",
        "/public/./../api/users/1", "/public/../api/users/1", "/api/./users/1", "/api/%2e/users/1", "//public/..//api/users/1",
        "/api;x/users/1", "/api/users;x/1", "/api/users/1;x", "/api%3Bx/users/1", "/public/..;/api/users/1",
        "/api./users/1", "/api/users./1", "/api%2E/users/1", "/api/users/1.",
        "/api%5Cusers%5C1", "/api%5cusers%5c1", "/api\\users\\1", "/public\\..\\api/users/1", "\\api\\users\\1",
        "/api%252Fusers/1", "/api%252fusers/1", "/public/..%252Fapi/users/1", "/api%255Cusers/1", "/api%25%32%46users/1", "/api%252%66users/1",
        "/api/users/1%00", "/api/users/1%0d%0a", "/api/users/1%0A", "/api/users/1%09", "/api%00/users/1",
        "/api%EF%BC%8Fusers/1", "/api%EF%BC%BCusers/1", "/public/%EF%BC%8E%EF%BC%8E/api/users/1", "/api/users%C0%AF1",
        "/api/users/%u0031", "/api/users/1%", "/API/USERS/1", "/api/users/1/",
    ];

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Get_SpellingOfProtectedPathWithoutCredentials_Is401Or400AndNeverReachesTheService(string target)
    {
        _edge.Backend.Received.Clear();

        var (status, body) = await RawGetAsync(_edge.Gateway.BaseAddress(), target);

        status.ShouldBeOneOf([401, 400], $"{target} answered {status}: {body}");
        _edge.Backend.Received.ShouldBeEmpty($"{target} reached the service as {string.Join(", ", _edge.Backend.Received.Select(r => r.RawTarget))}");
    }

    [Theory]
    [InlineData("/api%2Fusers/1", "encoded slash")]
    [InlineData("/public/..%2Fapi/users/1", "encoded slash")]
    [InlineData("/api%5Cusers%5C1", "backslash")]
    [InlineData("/api;x/users/1", "path parameter")]
    [InlineData("/api./users/1", "ending in '.'")]
    [InlineData("/api%252Fusers/1", "double-encoded")]
    [InlineData("/api/users/1%0d%0a", "control")]
    [InlineData("/api%EF%BC%8Fusers/1", "Unicode")]
    public async Task Get_AmbiguousForm_Is400BadPathProblem(string target, string reason)
    {
        var (status, body) = await RawGetAsync(_edge.Gateway.BaseAddress(), target);

        status.ShouldBe(400);
        body.ShouldContain("application/problem+json");
        body.ShouldContain("urn:portico:problem:bad-path");
        body.ShouldContain(reason);
    }

    [Theory]
    [InlineData("//api/users/1")]
    [InlineData("/api//users/1")]
    [InlineData("/public/%2E%2E/api/users/1")]
    [InlineData("/public/./../api/users/1")]
    public async Task Get_MergedOrDotSpellingWithCredentials_ServiceReceivesTheNormalizedPath(string target)
    {
        _edge.Backend.Received.Clear();

        var (status, body) = await RawGetAsync(_edge.Gateway.BaseAddress(), target, $"X-Api-Key: {Key}");

        status.ShouldBe(200, body);
        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe(["/api/users/1"]);
    }

    [Fact]
    public async Task Get_SpellingsOfRateLimitedPath_CountAgainstTheOneLimit()
    {
        var first = await RawGetAsync(_edge.Gateway.BaseAddress(), "/api/limited/7");
        first.Status.ShouldBe(200);
        _edge.Backend.Received.Clear();

        foreach (var target in new[] { "//api/limited/7", "/api//limited/7", "/x/%2e%2e/api/limited/7", "/api%2Flimited/7", "/api;x/limited/7", "/api./limited/7", "/api%5Climited/7" })
        {
            var (status, body) = await RawGetAsync(_edge.Gateway.BaseAddress(), target);
            status.ShouldBeOneOf([429, 400], $"{target} answered {status}: {body}");
        }
        _edge.Backend.Received.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/api%2Fusers/1")]
    [InlineData("/public/..%2Fapi/users/1")]
    [InlineData("/api%5Cusers%5C1")]
    [InlineData("/api\\users\\1")]
    [InlineData("//api/users/1")]
    public async Task Get_LenientGatewayDecodes_SpellingLandsOnTheProtectedRoute(string target)
    {
        _edge.Backend.Received.Clear();

        var anonymous = await RawGetAsync(_edge.Gateway.BaseAddress("lenient"), target);
        var withKey = await RawGetAsync(_edge.Gateway.BaseAddress("lenient"), target, $"X-Api-Key: {Key}");

        anonymous.Status.ShouldBe(401, anonymous.Body);
        withKey.Status.ShouldBe(200, withKey.Body);
        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe(["/api/users/1"]);
    }

    [Theory]
    [InlineData("/api;x/users/1", "/api;x/users/1")]
    [InlineData("/api./users/1", "/api./users/1")]
    public async Task Get_LenientGatewayKeepsParametersAndDots_CatchAllServesThemAsData(string target, string upstream)
    {
        _edge.Backend.Received.Clear();

        var (status, body) = await RawGetAsync(_edge.Gateway.BaseAddress("lenient"), target);

        status.ShouldBe(200, body);
        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe([upstream]);
    }

    [Fact]
    public async Task Get_KeepingGateway_EncodedSlashAndEmptySegmentsReachTheServiceAsSent()
    {
        _edge.Backend.Received.Clear();

        var slash = await RawGetAsync(_edge.Gateway.BaseAddress("keeper"), "/files/a%2fb");
        var empty = await RawGetAsync(_edge.Gateway.BaseAddress("keeper"), "/files//b");
        var doubled = await RawGetAsync(_edge.Gateway.BaseAddress("keeper"), "/files/a%252Fb");

        slash.Status.ShouldBe(200);
        empty.Status.ShouldBe(200);
        doubled.Status.ShouldBe(400);
        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe(["/files/a%2Fb", "/files//b"]);
    }

    [Fact]
    public async Task Get_DoubleEncodedDotsAndPercent_StayDataOnTheCatchAll()
    {
        _edge.Backend.Received.Clear();

        var dots = await RawGetAsync(_edge.Gateway.BaseAddress(), "/x/%252e%252e/secret");
        var percent = await RawGetAsync(_edge.Gateway.BaseAddress(), "/x/50%2541");

        dots.Status.ShouldBe(200);
        percent.Status.ShouldBe(200);
        _edge.Backend.Received.Select(r => r.RawTarget).ShouldBe(["/x/%252e%252e/secret", "/x/50%2541"]);
    }

    /// One HTTP/1.1 request with the target written byte for byte; returns the status and the whole response.
    internal static async Task<(int Status, string Body)> RawGetAsync(Uri gateway, string target, string? header = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.Host, gateway.Port, ct);
        var stream = client.GetStream();
        var request = $"GET {target} HTTP/1.1\r\nHost: {gateway.Authority}\r\n{(header is null ? "" : header + "\r\n")}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(ct);
        var parts = response.Split(' ', 3);
        parts.Length.ShouldBeGreaterThan(1, $"no status line for {target}: '{response}'");
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), response);
    }
}
