using System.Net;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Query, host and method conditions, explicit `order`, and path precedence, through real HTTP.
public sealed class MatchConditionTests : IAsyncLifetime
{
    readonly Dictionary<string, TestBackend> _backends = [];
    GatewayUnderTest _gateway = null!;
    HttpClient _client = null!;

    static readonly string[] Names = ["literal", "param", "catchall", "beta", "api-host", "writer", "reader", "ordered", "specific"];

    public async ValueTask InitializeAsync()
    {
        foreach (var name in Names) _backends[name] = await TestBackend.StartAsync(name);
        string Url(string name) => _backends[name].Url;
        _gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              literal: { urls: ["{{Url("literal")}}"] }
              param: { urls: ["{{Url("param")}}"] }
              catchall: { urls: ["{{Url("catchall")}}"] }
              beta: { urls: ["{{Url("beta")}}"] }
              api-host: { urls: ["{{Url("api-host")}}"] }
              writer: { urls: ["{{Url("writer")}}"] }
              reader: { urls: ["{{Url("reader")}}"] }
              ordered: { urls: ["{{Url("ordered")}}"] }
              specific: { urls: ["{{Url("specific")}}"] }
            routes:
              - name: any-file
                match: { path: "/files/{**path}" }
                service: catchall
              - name: one-file
                match: { path: "/files/{name}" }
                service: param
              - name: readme
                match: { path: "/files/readme" }
                service: literal
              - name: search-beta
                match: { path: "/search", query: { beta: "1" } }
                service: beta
              - name: search
                match: { path: "/search" }
                service: param
              - name: api-host
                match: { path: "/hosted/{x}", hosts: [api.example.com] }
                service: api-host
              - name: hosted
                match: { path: "/hosted/{x}" }
                service: param
              - name: notes-write
                match: { path: "/notes/{id}", methods: [POST, PUT, DELETE] }
                service: writer
              - name: notes-read
                match: { path: "/notes/{id}", methods: [GET] }
                service: reader
              - name: reports-specific
                match: { path: "/reports/daily" }
                service: specific
              - name: reports-ordered
                match: { path: "/reports/{**rest}" }
                service: ordered
                order: -1
            """);
        _client = _gateway.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        foreach (var b in _backends.Values) await b.DisposeAsync();
    }

    [Theory]
    [InlineData("/files/readme", "literal")]
    [InlineData("/files/other", "param")]
    [InlineData("/files/docs/guide", "catchall")]
    [InlineData("/files/", "catchall")]
    public async Task Precedence_LiteralBeatsParameterBeatsCatchAll_RegardlessOfFileOrder(string url, string expected)
    {
        var reply = await BackendReply.GetAsync(_client, url);

        reply.Status.ShouldBe(HttpStatusCode.OK);
        reply.Backend.ShouldBe(expected);
    }

    [Theory]
    [InlineData("/search?beta=1", "beta")]
    [InlineData("/search?q=x&beta=1", "beta")]
    [InlineData("/search?beta=2", "param")]
    [InlineData("/search?q=x", "param")]
    [InlineData("/search", "param")]
    public async Task QueryCondition_SelectsRouteOnlyWhenParameterHasValue(string url, string expected)
    {
        var reply = await BackendReply.GetAsync(_client, url);

        reply.Backend.ShouldBe(expected);
    }

    [Theory]
    [InlineData("api.example.com", "api-host")]
    [InlineData("API.example.com:8443", "api-host")]
    [InlineData("www.example.com", "param")]
    public async Task HostCondition_SelectsRouteByHostHeader(string host, string expected)
    {
        var reply = await BackendReply.GetAsync(_client, "/hosted/1", r => r.Headers.Host = host);

        reply.Backend.ShouldBe(expected);
    }

    [Theory]
    [InlineData("GET", "reader")]
    [InlineData("HEAD", "reader")]
    [InlineData("POST", "writer")]
    [InlineData("PUT", "writer")]
    [InlineData("DELETE", "writer")]
    public async Task MethodCondition_SelectsRouteByMethod(string method, string expected)
    {
        await BackendReply.GetAsync(_client, "/notes/5", method: new HttpMethod(method));

        _backends[expected].Received.ShouldContain(r => r.Method == method && r.PathAndQuery == "/notes/5");
        _backends[expected == "reader" ? "writer" : "reader"].Received.ShouldNotContain(r => r.PathAndQuery == "/notes/5");
    }

    [Fact]
    public async Task MethodCondition_NoRouteAllowsMethod_Answers405Problem()
    {
        var reply = await BackendReply.GetAsync(_client, "/notes/5", method: HttpMethod.Patch);

        reply.Status.ShouldBe(HttpStatusCode.MethodNotAllowed);
        reply.ContentType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task ExplicitOrder_BeatsMoreSpecificPath()
    {
        var reply = await BackendReply.GetAsync(_client, "/reports/daily");

        reply.Backend.ShouldBe("ordered");
        _backends["specific"].Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task NothingMatches_Answers404ProblemJson()
    {
        var reply = await BackendReply.GetAsync(_client, "/nowhere/at/all");

        reply.Status.ShouldBe(HttpStatusCode.NotFound);
        reply.ContentType.ShouldBe("application/problem+json");
        reply.ProblemType.ShouldBe("urn:portico:problem:no-route");
        reply.Body.ShouldContain("/nowhere/at/all");
    }
}
