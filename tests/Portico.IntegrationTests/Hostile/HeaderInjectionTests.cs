using System.Net;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Hostile;

/// Values that would split a header line (or start a second request) on their way to the upstream, through every
/// HTTP writer: identity headers on a proxied route, a `{identity.sub}` rewrite, aggregate parts and GraphQL calls,
/// part headers templated from the client's query, path and headers, and part headers chained from a service's
/// answer. The upstream is a raw socket, so the assertion is on the bytes that actually arrived.
public sealed class HeaderInjectionTests : IAsyncLifetime
{
    /// CR/LF pairs, a bare LF, NUL and DEL: each must be refused before a byte leaves the gateway.
    public static readonly TheoryData<string> Breaks = new() { "\r\n", "\n", "\0", "\x7f" };

    RecordingSocketBackend _raw = null!;
    RecordingSocketBackend _names = null!;
    TestIdentityProvider _idp = null!;
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _raw = RecordingSocketBackend.Start(line => line.Contains("graphql", StringComparison.Ordinal) ? """{"data":{"vault":"v"}}""" : """{"ok":true}""");
        // Answers a name holding a header line of its own, for a later part's header.
        _names = RecordingSocketBackend.Start(line => line.Contains("/evil", StringComparison.Ordinal)
            ? """{"name":"bob\r\nX-Injected: yes\r\n\r\nGET /smuggled-admin HTTP/1.1"}""" : """{"name":"bob"}""");
        _idp = await TestIdentityProvider.StartAsync();
        _gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              raw: { urls: ["{{_raw.Url}}"] }
              names: { urls: ["{{_names.Url}}"] }
              gql: { protocol: graphql, urls: ["{{_raw.Url}}/graphql"], timeout: 5s }
            auth:
              jwt: { issuer: "{{TestIdentityProvider.Issuer}}", audience: portico, jwks: "{{_idp.JwksUrl}}", clockSkew: 0s }
            routes:
              - name: proxied
                match: { path: "/p/{id}" }
                service: raw
                auth: [jwt]
              - name: me
                match: { path: /users/me }
                service: raw
                auth: [jwt]
                rewrite: "/users/{identity.sub}"
              - name: profile
                match: { path: /profile }
                auth: [jwt]
                aggregate:
                  parts:
                    one: { service: raw, path: /one }
              - name: vault
                match: { path: /vault, methods: [GET] }
                service: gql
                auth: [jwt]
                graphql: { query: "{ vault }" }
              - name: templated
                match: { path: "/t/{id}" }
                aggregate:
                  parts:
                    tagged: { service: raw, path: /tagged, headers: { X-Tag: "{query.tag}", X-Client: "{header.X-Client}", X-Id: "id-{id}" } }
              - name: chained
                match: { path: "/chain/{who}" }
                aggregate:
                  parts:
                    user: { service: names, path: "/{who}" }
                    next: { service: raw, path: /next, headers: { X-Name: "{user.name}" } }
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _idp.DisposeAsync();
        await _names.DisposeAsync();
        await _raw.DisposeAsync();
    }

    async Task<HttpResponseMessage> GetAsync(string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    static string Smuggling(string brk) => $"alice{brk}X-User-Id: root{brk}{brk}GET /smuggled-admin HTTP/1.1{brk}Host: x{brk}{brk}";

    void UpstreamSawNothingInjected(RecordingSocketBackend backend)
    {
        var raw = backend.Raw;
        raw.ShouldNotContain("smuggled");
        raw.ShouldNotContain("root");
        raw.ShouldNotContain("X-Injected");
        raw.ShouldNotContain('\0');
        raw.ShouldNotContain('\x7f');
        foreach (var head in backend.Heads)
            head.Split("\r\n").ShouldAllBe(line => !line.Contains('\n') && !line.Contains('\r'));
    }

    static async Task RefusedAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        response.StatusCode.ShouldBe(status);
        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        problem.Type.ShouldBe(type);
        problem.ContentType.ShouldBe(Problem.ContentType);
    }

    [Theory]
    [InlineData("/p/1")]
    [InlineData("/users/me")]
    [InlineData("/profile")]
    [InlineData("/vault")]
    public async Task IdentityWriters_CleanToken_IdentityReachesRawUpstream(string path)
    {
        var response = await GetAsync(path, _idp.Token("alice", "users:read", claims: new Dictionary<string, object> { ["groups"] = new[] { "ops" } }));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _raw.Heads.Count.ShouldBe(1);
        _raw.Heads[0].ShouldContain("\r\nX-User-Id: alice\r\n");
        _raw.Heads[0].ShouldContain("\r\nX-User-Scopes: users:read\r\n");
        if (path == "/users/me") _raw.Heads[0].ShouldStartWith("GET /users/alice HTTP/1.1");
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task Proxy_SubjectWithControl_Refused401AndUpstreamUntouched(string brk)
    {
        var response = await GetAsync("/p/1", _idp.Token(Smuggling(brk)));

        await RefusedAsync(response, HttpStatusCode.Unauthorized, Problem.Types.Unauthorized);
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task Proxy_ScopeOrGroupWithControl_Refused401AndUpstreamUntouched(string brk)
    {
        var scope = await GetAsync("/p/1", _idp.Token("alice", $"users:read{brk}X-User-Id: root"));
        var groups = await GetAsync("/p/1", _idp.Token("alice", claims: new Dictionary<string, object> { ["groups"] = new[] { "ops", $"x{brk}X-User-Id: root" } }));

        await RefusedAsync(scope, HttpStatusCode.Unauthorized, Problem.Types.Unauthorized);
        await RefusedAsync(groups, HttpStatusCode.Unauthorized, Problem.Types.Unauthorized);
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Fact]
    public async Task Proxy_SubjectWithNonAscii_Refused401()
    {
        var response = await GetAsync("/p/1", _idp.Token("jos\u00e9"));

        await RefusedAsync(response, HttpStatusCode.Unauthorized, Problem.Types.Unauthorized);
        _raw.Heads.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Breaks))]
    public async Task RewriteAggregateGraphQL_SubjectWithControl_Refused401AndUpstreamUntouched(string brk)
    {
        foreach (var path in new[] { "/users/me", "/profile", "/vault" })
        {
            var response = await GetAsync(path, _idp.Token(Smuggling(brk)));
            await RefusedAsync(response, HttpStatusCode.Unauthorized, Problem.Types.Unauthorized);
        }
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Theory]
    [InlineData("%0d%0aX-User-Id:%20root%0d%0a%0d%0aGET%20/smuggled-admin%20HTTP/1.1")]
    [InlineData("a%0aroot")]
    [InlineData("a%00root")]
    [InlineData("a%7froot")]
    [InlineData("jos%C3%A9")]
    public async Task PartHeaderTemplate_QueryWithControl_Refused400BeforeAnyCall(string tag)
    {
        var response = await GetAsync($"/t/1?tag={tag}");

        await RefusedAsync(response, HttpStatusCode.BadRequest, Problem.Types.BadRequest);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("{query.tag}");
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Fact]
    public async Task PartHeaderTemplate_RouteValueWithLineBreak_Refused400BeforeAnyCall()
    {
        var response = await GetAsync("/t/a%0d%0aX-Injected:%20root?tag=ok");

        // A route value comes from the path, and a path with control characters is refused before routing.
        await RefusedAsync(response, HttpStatusCode.BadRequest, Problem.Types.BadPath);
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Fact]
    public async Task PartHeaderTemplate_CleanClientInput_ReachesRawUpstreamAsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/t/7?tag=blue");
        request.Headers.Add("X-Client", "mobile 2.1");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _raw.Heads.Count.ShouldBe(1);
        _raw.Heads[0].ShouldContain("\r\nX-Tag: blue\r\n");
        _raw.Heads[0].ShouldContain("\r\nX-Client: mobile 2.1\r\n");
        _raw.Heads[0].ShouldContain("\r\nX-Id: id-7");
    }

    [Fact]
    public async Task ChainedPartHeader_ServiceAnswersLineBreak_Refused502NamingServiceAndNextPartNotCalled()
    {
        var response = await GetAsync("/chain/evil");

        var problem = await ProblemResponse.ReadAsync(response, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        problem.Type.ShouldBe(Problem.Types.AggregatePartFailed);
        problem.Service.ShouldBe("names");
        problem.Text.ShouldNotContain("X-Injected");
        _names.Heads.Count.ShouldBe(1);
        _raw.Heads.ShouldBeEmpty();
        UpstreamSawNothingInjected(_raw);
    }

    [Fact]
    public async Task ChainedPartHeader_ServiceAnswersCleanValue_ReachesNextPart()
    {
        var response = await GetAsync("/chain/good");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _raw.Heads.Count.ShouldBe(1);
        // The head is recorded without its final line break, and X-Name may be its last header.
        (_raw.Heads[0] + "\r\n").ShouldContain("\r\nX-Name: bob\r\n");
    }
}
